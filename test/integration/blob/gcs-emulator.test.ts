/**
 * The emulator against the unmodified @google-cloud/storage client, over real HTTP to a separate
 * process. If the SDK accepts it here, adapter tests that use it mean something.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CRC32C, Storage } from '@google-cloud/storage';
import { crc32cBase64, crc32cUpdate } from '../../support/gcs-emulator/crc32c.js';
import { type GcsEmulator, startGcsEmulator } from '../../support/gcs-emulator.js';

const MiB = 1024 * 1024;
let emulator: GcsEmulator;
let storage: Storage;
const savedHost = process.env.STORAGE_EMULATOR_HOST;

beforeAll(async () => {
  emulator = await startGcsEmulator();
  process.env.STORAGE_EMULATOR_HOST = emulator.url;
  storage = new Storage({ projectId: 'demo-test' });
});

afterAll(async () => {
  await emulator?.stop();
  if (savedHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
  else process.env.STORAGE_EMULATOR_HOST = savedHost;
});

beforeEach(() => emulator.reset());

const md5 = (data: Buffer) => createHash('md5').update(data).digest('base64');
/** The SDK's own CRC32C, the one it validates downloads with (`CRC32C.from` parses a 4-byte value). */
const sdkCrc32c = (data: Buffer) => {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
};

test('crc32c matches the Castagnoli check value and the SDK', () => {
  // RFC 3720 check value for "123456789" is 0xE3069283.
  expect(crc32cUpdate(0, Buffer.from('123456789'))).toBe(0xe3069283);
  const data = randomBytes(100_000);
  const split = crc32cUpdate(crc32cUpdate(0, data.subarray(0, 777)), data.subarray(777));
  expect(crc32cBase64(split)).toBe(sdkCrc32c(data));
});

test('buckets: create, get, list, 409 on duplicate, delete', async () => {
  const [bucket] = await storage.createBucket('bucket-one');
  expect(bucket.name).toBe('bucket-one');
  await expect(storage.createBucket('bucket-one')).rejects.toMatchObject({ code: 409 });
  const [exists] = await storage.bucket('bucket-one').exists();
  expect(exists).toBe(true);
  await storage.createBucket('bucket-two');
  const [buckets] = await storage.getBuckets();
  expect(buckets.map((b) => b.name)).toEqual(['bucket-one', 'bucket-two']);
  await storage.bucket('bucket-two').delete();
  expect((await storage.bucket('bucket-two').exists())[0]).toBe(false);
  await expect(storage.bucket('bucket-two').getMetadata()).rejects.toMatchObject({ code: 404 });
});

test('multipart upload, then download validated against x-goog-hash (crc32c and md5)', async () => {
  await storage.createBucket('b');
  const file = storage.bucket('b').file('dir/data.json');
  const data = randomBytes(300_000);
  await file.save(data, { resumable: false, metadata: { contentType: 'application/json', metadata: { k: 'v' } } });

  const [meta] = await file.getMetadata();
  expect(meta).toMatchObject({
    name: 'dir/data.json',
    size: String(data.length),
    contentType: 'application/json',
    md5Hash: md5(data),
    crc32c: sdkCrc32c(data),
    metadata: { k: 'v' },
  });
  expect((await file.download())[0].equals(data)).toBe(true);
  expect((await file.download({ validation: 'md5' }))[0].equals(data)).toBe(true);

  await emulator.corruptNext(1);
  await expect(file.download()).rejects.toMatchObject({ code: 'CONTENT_DOWNLOAD_MISMATCH' });

  const raw = await fetch(`${emulator.url}/storage/v1/b/b/o/${encodeURIComponent('dir/data.json')}?alt=media`);
  expect(raw.headers.get('x-goog-hash')).toBe(`crc32c=${sdkCrc32c(data)},md5=${md5(data)}`);
});

test('media upload (uploadType=media) over plain HTTP', async () => {
  await storage.createBucket('b');
  const res = await fetch(`${emulator.url}/upload/storage/v1/b/b/o?uploadType=media&name=m.txt`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: '123456789',
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ name: 'm.txt', size: '9', crc32c: '4waSgw==', contentType: 'text/plain' });
  expect((await storage.bucket('b').file('m.txt').download())[0].toString()).toBe('123456789');
});

test('resumable upload of 20 MiB in 8 MiB requests (308 + Range until the last)', async () => {
  await storage.createBucket('b');
  const data = randomBytes(20 * MiB);
  const statuses: number[] = [];
  const upload = storage
    .bucket('b')
    .file('big.bin')
    .createWriteStream({ resumable: true, chunkSize: 8 * MiB })
    .on('response', (r: { status: number }) => statuses.push(r.status));
  await new Promise<void>((resolve, reject) => {
    upload.on('error', reject).on('finish', resolve);
    upload.end(data);
  });
  expect(statuses).toEqual([308, 308, 200]);
  const [downloaded] = await storage.bucket('b').file('big.bin').download();
  expect(downloaded.equals(data)).toBe(true);
});

test('resumable createWriteStream in one request, then createReadStream', async () => {
  await storage.createBucket('b');
  const file = storage.bucket('b').file('stream.bin');
  const data = randomBytes(3 * MiB);
  await new Promise<void>((resolve, reject) => {
    const upload = file.createWriteStream({ resumable: true }).on('error', reject).on('finish', resolve);
    for (let at = 0; at < data.length; at += 64 * 1024) upload.write(data.subarray(at, at + 64 * 1024));
    upload.end();
  });
  const parts: Buffer[] = [];
  for await (const chunk of file.createReadStream()) parts.push(chunk as Buffer);
  expect(Buffer.concat(parts).equals(data)).toBe(true);
});

test('an unfinished resumable session leaves no object', async () => {
  await storage.createBucket('b');
  const start = await fetch(`${emulator.url}/upload/storage/v1/b/b/o?uploadType=resumable&name=partial.json`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ contentType: 'application/json' }),
  });
  const session = start.headers.get('location')!;
  expect(session).toContain('upload_id=');
  const chunk = await fetch(session, {
    method: 'PUT',
    headers: { 'Content-Range': 'bytes 0-9/*' },
    body: Buffer.alloc(10),
  });
  expect(chunk.status).toBe(308);
  expect(chunk.headers.get('range')).toBe('bytes=0-9');
  expect((await storage.bucket('b').file('partial.json').exists())[0]).toBe(false);

  const last = await fetch(session, {
    method: 'PUT',
    headers: { 'Content-Range': 'bytes 10-14/15' },
    body: Buffer.alloc(5),
  });
  expect(last.status).toBe(200);
  expect((await storage.bucket('b').file('partial.json').getMetadata())[0].size).toBe('15');
});

test('an SDK upload destroyed mid-way leaves no object', async () => {
  await storage.createBucket('b');
  const upload = storage
    .bucket('b')
    .file('aborted.bin')
    .createWriteStream({ resumable: true, chunkSize: 8 * MiB });
  const failed = new Promise((resolve) => upload.on('error', resolve));
  const statuses: number[] = [];
  upload.on('response', (r: { status: number }) => statuses.push(r.status));
  upload.write(randomBytes(9 * MiB));
  while (statuses.length === 0) await new Promise((r) => setImmediate(r));
  upload.destroy(new Error('stop'));
  await failed;
  await new Promise((r) => setTimeout(r, 200));
  expect((await storage.bucket('b').file('aborted.bin').exists())[0]).toBe(false);
});

test('list with prefix, exists, delete, and the 404 error shape', async () => {
  await storage.createBucket('b');
  const bucket = storage.bucket('b');
  await Promise.all(['a/1', 'a/2', 'b/1'].map((name) => bucket.file(name).save(name, { resumable: false })));
  const [files] = await bucket.getFiles({ prefix: 'a/' });
  expect(files.map((f) => f.name)).toEqual(['a/1', 'a/2']);
  expect((await bucket.file('a/1').exists())[0]).toBe(true);
  await bucket.file('a/1').delete();
  expect((await bucket.file('a/1').exists())[0]).toBe(false);
  await expect(bucket.file('a/1').download()).rejects.toMatchObject({ code: 404 });

  const res = await fetch(`${emulator.url}/storage/v1/b/b/o/nope`);
  expect(res.status).toBe(404);
  expect(await res.json()).toMatchObject({ error: { code: 404, errors: [{ reason: 'notFound' }] } });
});

test('fail-next makes the next N API requests fail, then recovers', async () => {
  await storage.createBucket('b');
  await emulator.failNext(2, 503);
  for (let i = 0; i < 2; i++) expect((await fetch(`${emulator.url}/b/b`)).status).toBe(503);
  expect((await fetch(`${emulator.url}/b/b`)).status).toBe(200);
});
