/**
 * `tsx test/bench/s3-adapter-memory.ts [MiB]`: streams MiB (default 512) of export-like bytes
 * through src/blob/s3.ts into the S3 emulator process and reads them back, printing this
 * process's peak RSS before and after. Bounded memory shows as a peak that does not grow with
 * the size (about three parts for the upload, a few chunks for the download).
 */
import { readFile } from 'node:fs/promises';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3BlobStorage } from '../../src/blob/s3.js';
import { parseS3AllowList } from '../../src/blob/s3-endpoint.js';
import { startS3Emulator } from '../support/s3-emulator.js';

const MiB = 1024 * 1024;
const total = Number(process.argv[2] ?? 512) * MiB;
const peakMb = async () => Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(await readFile('/proc/self/status', 'utf8'))?.[1]) / 1024);

const emulator = await startS3Emulator();
try {
  await emulator.client().send(new CreateBucketCommand({ Bucket: 'mem' }));
  const blob = createS3BlobStorage({ allowList: parseS3AllowList([emulator.endpoint]) });
  const target = {
    kind: 's3' as const,
    endpoint: emulator.endpoint,
    ssl: false,
    bucket: 'mem',
    path: 'big.json',
    accessKeyId: emulator.accessKeyId,
    secretAccessKey: emulator.secretAccessKey,
  };
  // Warm up: load the SDK and open a connection, so the figures below are the transfer's own.
  await blob.write(
    { ...target, path: 'warm.json' },
    (async function* () {
      yield Buffer.from('{}');
    })(),
    AbortSignal.timeout(60_000),
  );
  const before = await peakMb();
  // 256 KiB chunks, as the exporter hands them to its sinks; a fresh buffer each time.
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let sent = 0; sent < total; sent += 256 * 1024) yield Buffer.alloc(256 * 1024, 0x61);
  }
  let started = performance.now();
  await blob.write(target, chunks(), AbortSignal.timeout(600_000));
  const upMs = performance.now() - started;
  const afterWrite = await peakMb();
  started = performance.now();
  let read = 0;
  for await (const chunk of blob.read(target, AbortSignal.timeout(600_000))) read += chunk.length;
  const downMs = performance.now() - started;
  if (read !== total) throw new Error(`read ${read} bytes, wrote ${total}`);
  const afterRead = await peakMb();
  console.log(
    `${total / MiB} MiB: peak RSS ${before} MB after warm-up, ${afterWrite} MB after the upload (${Math.round(upMs)} ms), ${afterRead} MB after the download (${Math.round(downMs)} ms)`,
  );
} finally {
  await emulator.stop();
}
