/**
 * The benchmark's S3 leg: the same export file imported from an S3 object (`data_orgs_s3`) and
 * exported back to one (`s3_output`), through the S3 emulator process, with the server's peak
 * RSS measured as for files. The emulator keeps objects in its own process's memory, so the
 * server's figures are the adapter's alone.
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startS3Emulator } from '../support/s3-emulator.js';
import { postJson, startServer } from './server-process.js';

export interface S3LegResult {
  importMs: number;
  importRss: number;
  exportMs: number;
  exportRss: number;
  objectBytes: number;
}

/** `exportFile` is a ready import file; `env` picks the database (a fresh one per call). */
export async function s3Leg(label: string, env: Record<string, string>, work: string, exportFile: string): Promise<S3LegResult> {
  const emulator = await startS3Emulator();
  try {
    const client = emulator.client();
    await client.send(new CreateBucketCommand({ Bucket: 'bench' }));
    await new Upload({ client, params: { Bucket: 'bench', Key: 'bench.json', Body: createReadStream(exportFile) } }).done();
    const s3 = (path: string) => ({
      endpoint: emulator.endpoint,
      ssl: false,
      bucket: 'bench',
      path,
      access_key_id: emulator.accessKeyId,
      secret_access_key: emulator.secretAccessKey,
    });
    const home = await mkdtemp(join(work, `${label}-s3-`));
    await mkdir(join(home, 'exports'), { recursive: true });
    const serverEnv = { ...env, IDPORT_S3_ENDPOINTS: emulator.endpoint };

    const importer = await startServer(serverEnv, home);
    let started = performance.now();
    const imported = await postJson(`${importer.url}/admin/v1/import`, importer.token, { timeout: '6h', data_orgs_s3: s3('bench.json') });
    const importMs = performance.now() - started;
    const importRss = await importer.peakRss();
    await importer.stop();
    const errors = (imported.json.errors as unknown[] | undefined)?.length ?? 0;
    if (imported.status !== 200 || errors > 0) {
      throw new Error(
        `${label} S3 import failed: HTTP ${imported.status}, ${errors} errors: ${JSON.stringify(imported.json).slice(0, 500)}`,
      );
    }

    const exporter = await startServer(serverEnv, home);
    started = performance.now();
    const exported = await postJson(`${exporter.url}/admin/v1/export`, exporter.token, {
      timeout: '6h',
      with_passwords: true,
      with_otp: true,
      s3_output: s3('bench-export.json'),
    });
    const exportMs = performance.now() - started;
    const exportRss = await exporter.peakRss();
    await exporter.stop();
    if (exported.status !== 200) throw new Error(`${label} S3 export failed: HTTP ${exported.status} ${JSON.stringify(exported.json)}`);
    const head = await client.send(new HeadObjectCommand({ Bucket: 'bench', Key: 'bench-export.json' }));
    return { importMs, importRss, exportMs, exportRss, objectBytes: head.ContentLength ?? 0 };
  } finally {
    await emulator.stop();
  }
}
