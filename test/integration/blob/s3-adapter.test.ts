/**
 * src/blob/s3.ts against the S3 emulator process (SigV4-checking, test/support/s3-emulator),
 * with the real AWS SDK underneath. Errors are checked by kind and stable id; secrets must
 * appear in no message and no cause.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import type { BlobTarget } from '../../../src/application/ports.js';
import { createS3BlobStorage } from '../../../src/blob/s3.js';
import { parseS3AllowList } from '../../../src/blob/s3-endpoint.js';
import type { DomainError } from '../../../src/domain/errors.js';
import { chunksOf, domainErrorOf, readAll } from '../../support/blob-streams.js';
import { type S3Emulator, startS3Emulator } from '../../support/s3-emulator.js';

const MiB = 1024 * 1024;
type S3Target = Extract<BlobTarget, { kind: 's3' }>;

let emulator: S3Emulator;
let blob: ReturnType<typeof createS3BlobStorage>;

beforeAll(async () => {
  emulator = await startS3Emulator();
  blob = createS3BlobStorage({ allowList: parseS3AllowList([emulator.endpoint]), partSize: 5 * MiB });
});
afterAll(async () => {
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.reset();
  await emulator.client().send(new CreateBucketCommand({ Bucket: 'exports' }));
});

const target = (path: string, overrides: Partial<S3Target> = {}): S3Target => ({
  kind: 's3',
  endpoint: emulator.endpoint,
  ssl: false,
  bucket: 'exports',
  path,
  accessKeyId: emulator.accessKeyId,
  secretAccessKey: emulator.secretAccessKey,
  ...overrides,
});

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const tiny = () => chunksOf(Buffer.from('{}'), 1);
const within = (ms = 20_000) => AbortSignal.timeout(ms);
const writeError = (t: S3Target, signal = within()) => domainErrorOf(blob.write(t, tiny(), signal));
const readError = (t: S3Target, signal = within()) => domainErrorOf(readAll(blob.read(t, signal)));
const objects = async () => (await emulator.state()).buckets.exports?.objects ?? {};
const pendingUploads = async () => (await emulator.state()).buckets.exports?.uploads ?? [];

/** The secret and key id appear nowhere in the error: message, cause chain, or stack. */
function expectNoSecrets(error: DomainError, t: S3Target = target('x')) {
  const texts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) texts.push(e.message, e.stack ?? '', JSON.stringify(e));
  for (const text of texts) {
    expect(text).not.toContain(t.secretAccessKey);
    expect(text).not.toContain(t.accessKeyId);
  }
}

test('a 17 MiB export goes up as a multipart upload of 5 MiB parts and reads back identical', async () => {
  const data = randomBytes(17 * MiB + 4321);
  await blob.write(target('exports/big.json'), chunksOf(data, 3 * MiB + 7), within(60_000));
  const state = await emulator.state();
  // 4 parts: three of 5 MiB and the rest; no single PutObject.
  expect(state.requests).toMatchObject({ CreateMultipartUpload: 1, UploadPart: 4, CompleteMultipartUpload: 1 });
  expect(state.requests.PutObject).toBeUndefined();
  expect(state.buckets.exports?.uploads).toEqual([]);
  const back = await readAll(blob.read(target('exports/big.json'), within(60_000)));
  expect(back.length).toBe(data.length);
  expect(sha256(back)).toBe(sha256(data));
  // The SDK's own read agrees, and the content type is JSON.
  const got = await emulator.client().send(new GetObjectCommand({ Bucket: 'exports', Key: 'exports/big.json' }));
  expect(got.ContentType).toBe('application/json');
  expect(sha256(await got.Body!.transformToByteArray())).toBe(sha256(data));
});

test('an export smaller than one part is one PutObject; an empty one round-trips too', async () => {
  const data = Buffer.from('{"orgs":[]}');
  await blob.write(target('small.json'), chunksOf(data, 4), within());
  expect((await emulator.state()).requests).toMatchObject({ PutObject: 1 });
  expect((await readAll(blob.read(target('small.json'), within()))).equals(data)).toBe(true);
  await blob.write(target('empty.json'), chunksOf(Buffer.alloc(0), 1), within());
  expect((await readAll(blob.read(target('empty.json'), within()))).length).toBe(0);
});

test('describe answers HEAD ETag and Content-Length; new content changes the ETag', async () => {
  await blob.write(target('seen.json'), chunksOf(Buffer.from('{"orgs":[]}'), 4), within());
  const first = await blob.describe(target('seen.json'), within());
  expect(first).toEqual({ etag: `"${createHash('md5').update('{"orgs":[]}').digest('hex')}"`, size: '11' });
  await blob.write(target('seen.json'), chunksOf(Buffer.from('{"orgs":[{}]}'), 4), within());
  expect(await blob.describe(target('seen.json'), within())).toEqual({ etag: expect.not.stringMatching(first.etag as string), size: '13' });
  expect(await domainErrorOf(blob.describe(target('absent.json'), within()))).toMatchObject({ kind: 'NotFound' });
});

test('keys with spaces, unicode and nested folders are signed and stored as given', async () => {
  const key = 'backups/2026 11/exp\u00f6rt (1)+final.json';
  await blob.write(target(key), tiny(), within());
  expect(Object.keys(await objects())).toEqual([key]);
});

describe('the store fails mid-upload: an error by meaning, and no object or parts left', () => {
  test.each([
    ['answers 503 to every part after the first', { op: 'UploadPart', after: 1, count: 100, mode: 'status', status: 503 } as const],
    ['resets the connection on a part', { op: 'UploadPart', after: 1, count: 100, mode: 'reset' } as const],
  ])('store %s → Unavailable', async (_name, fault) => {
    await emulator.fault(fault);
    const error = await domainErrorOf(blob.write(target('fail.json'), chunksOf(randomBytes(16 * MiB), MiB), within(60_000)));
    expect(error).toMatchObject({ kind: 'Unavailable', id: 'BLOB-s3-unavailable' });
    expectNoSecrets(error);
    expect(await objects()).toEqual({});
    expect(await pendingUploads()).toEqual([]);
    expect((await emulator.state()).requests.AbortMultipartUpload).toBeGreaterThanOrEqual(1);
  });

  test('CompleteMultipartUpload refused → no object, upload aborted', async () => {
    await emulator.fault({ op: 'CompleteMultipartUpload', count: 100, status: 500 });
    const error = await domainErrorOf(blob.write(target('c.json'), chunksOf(randomBytes(11 * MiB), MiB), within(60_000)));
    expect(error.kind).toBe('Unavailable');
    expect(await objects()).toEqual({});
    expect(await pendingUploads()).toEqual([]);
  });
});

test("a failing source's own error passes through; the multipart upload is aborted", async () => {
  const boom = new Error('source broke');
  async function* failing(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < 12; i++) yield randomBytes(MiB);
    throw boom;
  }
  await expect(blob.write(target('broken.json'), failing(), within(60_000))).rejects.toBe(boom);
  expect(await objects()).toEqual({});
  expect(await pendingUploads()).toEqual([]);
});

describe('deadline and cancellation', () => {
  test('the store hangs on a part: DeadlineExceeded when the signal fires, upload aborted, no object', async () => {
    await emulator.fault({ op: 'UploadPart', after: 1, count: 100, mode: 'hang' });
    const controller = new AbortController();
    let produced = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 40; i++) {
        produced += MiB;
        yield randomBytes(MiB);
      }
    }
    const writing = blob.write(target('hung.json'), source(), controller.signal);
    // Wait until parts are held by the store, then cancel.
    while (((await emulator.state()).requests.UploadPart ?? 0) < 3) await new Promise((r) => setImmediate(r));
    // Memory stays bounded: with two parts in flight, at most a few parts are read ahead.
    expect(produced).toBeLessThanOrEqual(4 * 5 * MiB + 2 * MiB);
    controller.abort();
    expect(await domainErrorOf(writing)).toMatchObject({ kind: 'DeadlineExceeded', id: 'BLOB-deadline' });
    expect(await objects()).toEqual({});
    expect(await pendingUploads()).toEqual([]);
  });

  test('an already-aborted signal → DeadlineExceeded without a request', async () => {
    const signal = AbortSignal.abort();
    expect(await writeError(target('a.json'), signal)).toMatchObject({ kind: 'DeadlineExceeded' });
    expect(await readError(target('a.json'), signal)).toMatchObject({ kind: 'DeadlineExceeded' });
    expect((await emulator.state()).requests).toEqual({ CreateBucket: 1 });
  });

  test('a GetObject that hangs → DeadlineExceeded when the signal fires', async () => {
    await blob.write(target('slow.json'), tiny(), within());
    await emulator.fault({ op: 'GetObject', mode: 'hang' });
    expect(await readError(target('slow.json'), AbortSignal.timeout(500))).toMatchObject({ kind: 'DeadlineExceeded' });
  });
});

describe('codes by meaning', () => {
  test('missing bucket → NotFound on write and read; missing object → NotFound on read', async () => {
    const noBucket = target('x.json', { bucket: 'no-such-bucket' });
    expect(await writeError(noBucket)).toMatchObject({ kind: 'NotFound', id: 'BLOB-s3-not-found' });
    expect(await readError(noBucket)).toMatchObject({ kind: 'NotFound', id: 'BLOB-s3-not-found' });
    expect(await readError(target('nope.json'))).toMatchObject({ kind: 'NotFound', id: 'BLOB-s3-not-found' });
  });

  test.each([
    ['a wrong secret (SignatureDoesNotMatch)', () => ({ secretAccessKey: `${emulator.secretAccessKey}x` })],
    ['an unknown access key (InvalidAccessKeyId)', () => ({ accessKeyId: 'AKIDUNKNOWN0000', secretAccessKey: 'unknown-secret-value' })],
  ])('%s → PermissionDenied on write and read, credentials not echoed', async (_name, creds) => {
    const t = target('x.json', creds());
    const write = await writeError(t);
    expect(write).toMatchObject({ kind: 'PermissionDenied', id: 'BLOB-s3-denied' });
    expectNoSecrets(write, t);
    const read = await readError(t);
    expect(read).toMatchObject({ kind: 'PermissionDenied', id: 'BLOB-s3-denied' });
    expectNoSecrets(read, t);
    expect(await objects()).toEqual({});
  });

  test('a store answering 503 (after retries) → Unavailable within seconds', async () => {
    await blob.write(target('present.json'), tiny(), within());
    await emulator.fault({ op: '*', count: 1000, status: 503 });
    expect(await writeError(target('y.json'))).toMatchObject({ kind: 'Unavailable', id: 'BLOB-s3-unavailable' });
    expect(await readError(target('present.json'))).toMatchObject({ kind: 'Unavailable', id: 'BLOB-s3-unavailable' });
    expect((await emulator.state()).requests.GetObject).toBe(3);
  });

  test('a download cut off halfway → Unavailable, not short data', async () => {
    await blob.write(target('cut.json'), chunksOf(randomBytes(2 * MiB), MiB), within());
    await emulator.fault({ op: 'GetObject', mode: 'truncate' });
    expect(await readError(target('cut.json'))).toMatchObject({ kind: 'Unavailable' });
  });

  test('the store process stopped (connection refused) → Unavailable', async () => {
    const dead = await startS3Emulator();
    await dead.stop();
    const deadBlob = createS3BlobStorage({ allowList: parseS3AllowList([dead.endpoint]) });
    const t = target('z.json', { endpoint: dead.endpoint });
    expect(await domainErrorOf(deadBlob.write(t, tiny(), within()))).toMatchObject({ kind: 'Unavailable', id: 'BLOB-s3-unavailable' });
    expect(await domainErrorOf(readAll(deadBlob.read(t, within())))).toMatchObject({ kind: 'Unavailable' });
  });
});

describe('refused before any request', () => {
  test.each([
    ['an endpoint outside the allow-list', { endpoint: '127.0.0.1:1' }, 'BLOB-s3-endpoint-not-allowed'],
    ['an endpoint with a scheme', { endpoint: 'http://127.0.0.1:9000' }, 'BLOB-s3-endpoint'],
    ['an invalid bucket name', { bucket: 'a/b' }, 'BLOB-s3-bucket'],
    ['an empty key', { path: '' }, 'BLOB-s3-path'],
    ['a key with a .. segment', { path: 'a/../b.json' }, 'BLOB-s3-path'],
    ['no secret', { secretAccessKey: '' }, 'BLOB-s3-credentials'],
  ])('%s → InvalidArgument', async (_name, overrides, id) => {
    const t = target('x.json', overrides);
    expect(() => blob.check(t)).toThrow(expect.objectContaining({ kind: 'InvalidArgument', id }));
    expect(await writeError(t)).toMatchObject({ kind: 'InvalidArgument', id });
    expect(await readError(t)).toMatchObject({ kind: 'InvalidArgument', id });
    expect((await emulator.state()).requests).toEqual({ CreateBucket: 1 });
  });

  test('S3 disabled (empty allow-list) → InvalidArgument saying so', async () => {
    const off = createS3BlobStorage({ allowList: parseS3AllowList([]) });
    expect(() => off.check(target('x.json'))).toThrow(expect.objectContaining({ kind: 'InvalidArgument', id: 'BLOB-s3-disabled' }));
    expect((await domainErrorOf(off.write(target('x.json'), tiny(), within()))).message).toMatch(/IDPORT_S3_ENDPOINTS/);
  });
});
