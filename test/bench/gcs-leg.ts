/**
 * The benchmark's GCS leg: the import file as an object in our GCS emulator (its own process,
 * test/support/gcs-emulator.ts, objects held in its memory, so the server's RSS is the
 * adapter's alone), imported with `data_orgs_gcs` by a fresh server.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { startGcsEmulator } from '../support/gcs-emulator.js';
import { fakeServiceAccountBase64 } from '../support/service-account.js';
import { importFrom, type Step } from './idport-steps.js';

const BUCKET = 'bench';

export async function gcsImport(env: Record<string, string>, work: string, importFile: string): Promise<Step> {
  const emulator = await startGcsEmulator();
  try {
    const storage = new Storage({ projectId: 'demo-test', apiEndpoint: emulator.url });
    await storage.createBucket(BUCKET);
    await storage.bucket(BUCKET).upload(importFile, { destination: 'bench.json', resumable: true });
    const home = await mkdtemp(join(work, 'gcs-'));
    return await importFrom({ ...env, STORAGE_EMULATOR_HOST: emulator.url }, home, {
      data_orgs_gcs: { bucket: BUCKET, path: 'bench.json', serviceaccount_json: fakeServiceAccountBase64() },
    });
  } finally {
    await emulator.stop();
  }
}
