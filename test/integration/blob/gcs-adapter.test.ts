/**
 * src/blob/gcs.ts against the emulator process, with the real SDK underneath. Errors are checked
 * by kind and stable id, never by message text.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import type { BlobTarget } from '../../../src/application/ports.js';
import { createGcsBlobStorage } from '../../../src/blob/gcs.js';
import { chunksOf, domainErrorOf, readAll } from '../../support/blob-streams.js';
import { muteCredentialsWarning } from '../../support/export-helpers.js';
import { type GcsEmulator, startGcsEmulator } from '../../support/gcs-emulator.js';
import { fakeServiceAccount, fakeServiceAccountBase64 } from '../../support/service-account.js';

const MiB = 1024 * 1024;
type GcsTarget = Extract<BlobTarget, { kind: 'gcs' }>;

let emulator: GcsEmulator;
let sdk: Storage;
const credentials = fakeServiceAccountBase64();
const savedHost = process.env.STORAGE_EMULATOR_HOST;
const blob = createGcsBlobStorage();

let unmute: () => void;
beforeAll(() => {
  // google-auth-library warns on every `credentials` option, which src/blob/gcs.ts uses on purpose.
  unmute = muteCredentialsWarning();
});
afterAll(() => {
  unmute?.();
});

beforeAll(async () => {
  emulator = await startGcsEmulator();
  process.env.STORAGE_EMULATOR_HOST = emulator.url;
  sdk = new Storage({ projectId: 'demo-test' });
});

afterAll(async () => {
  await emulator?.stop();
  restoreHost();
});

function restoreHost() {
  if (savedHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
  else process.env.STORAGE_EMULATOR_HOST = savedHost;
}

beforeEach(async () => {
  process.env.STORAGE_EMULATOR_HOST = emulator.url;
  await emulator.reset();
  await sdk.createBucket('exports');
});

const target = (path: string, overrides: Partial<GcsTarget> = {}): GcsTarget => ({
  kind: 'gcs',
  bucket: 'exports',
  path,
  serviceAccountJsonBase64: credentials,
  ...overrides,
});

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const tiny = () => chunksOf(Buffer.from('{}'), 1);
const within = (ms = 10_000) => AbortSignal.timeout(ms);
/** The DomainError of writing a tiny blob to `t`. */
const writeError = (t: GcsTarget, signal = within()) => domainErrorOf(blob.write(t, tiny(), signal));
/** The DomainError of reading `t` to the end. */
const readError = (t: GcsTarget, signal = within()) => domainErrorOf(readAll(blob.read(t, signal)));
const exists = async (path: string) => (await sdk.bucket('exports').file(path).exists())[0];

test('writes ~20 MiB in many chunks and reads the same bytes back', async () => {
  const data = randomBytes(20 * MiB + 12_345);
  await blob.write(target('exports/org-1.json'), chunksOf(data, 3 * MiB), within(30_000));

  const [meta] = await sdk.bucket('exports').file('exports/org-1.json').getMetadata();
  expect(meta).toMatchObject({ size: String(data.length), contentType: 'application/json' });
  const back = await readAll(blob.read(target('exports/org-1.json'), within(30_000)));
  expect(back.length).toBe(data.length);
  expect(sha256(back)).toBe(sha256(data));
});

test("describe answers the object resource's generation, md5Hash, size and etag; a rewrite changes the generation", async () => {
  const data = Buffer.from('{"orgs":[]}');
  await blob.write(target('seen.json'), chunksOf(data, 4), within());
  const first = await blob.describe(target('seen.json'), within());
  expect(first).toEqual({
    generation: expect.stringMatching(/^\d+$/),
    md5Hash: createHash('md5').update(data).digest('base64'),
    size: String(data.length),
    etag: expect.any(String),
  });
  expect(await blob.describe(target('seen.json'), within())).toEqual(first);
  await blob.write(target('seen.json'), chunksOf(data, 4), within());
  const second = await blob.describe(target('seen.json'), within());
  expect(second.generation).not.toBe(first.generation);
  expect(second.md5Hash).toBe(first.md5Hash);
  expect(await domainErrorOf(blob.describe(target('absent.json'), within()))).toMatchObject({ kind: 'NotFound' });
});

test('an empty blob round-trips', async () => {
  await blob.write(target('empty.json'), chunksOf(Buffer.alloc(0), 1), within());
  expect((await readAll(blob.read(target('empty.json'), within()))).length).toBe(0);
});

test('with apiEndpoint instead of STORAGE_EMULATOR_HOST, and no auth attempted', async () => {
  delete process.env.STORAGE_EMULATOR_HOST;
  // Offline, any token request to Google would fail; success shows the SDK sent none.
  const direct = createGcsBlobStorage({ apiEndpoint: emulator.url });
  const data = Buffer.from('{"hello":"world"}');
  await direct.write(target('direct.json'), chunksOf(data, 4), within());
  expect((await readAll(direct.read(target('direct.json'), within()))).equals(data)).toBe(true);
});

describe('credentials', () => {
  const secretLooking = 'c2VjcmV0LWtleS1tYXRlcmlhbA'; // base64 without its padding

  test.each([
    ['not base64 at all', '%%% not base64 %%%', 'BLOB-gcs-sa-base64'],
    ['base64 missing padding', secretLooking, 'BLOB-gcs-sa-base64'],
    ['empty', '', 'BLOB-gcs-sa-base64'],
    ['base64 of non-JSON', Buffer.from('private_key=abc; not json {').toString('base64'), 'BLOB-gcs-sa-json'],
    ['base64 of a JSON array', Buffer.from('[1,2]').toString('base64'), 'BLOB-gcs-sa-json'],
  ])('%s → InvalidArgument, secret not echoed', async (_name, value, id) => {
    const error = await writeError(target('x.json', { serviceAccountJsonBase64: value }));
    expect(error).toMatchObject({ kind: 'InvalidArgument', id });
    if (value !== '') expect(error.message).not.toContain(value);
    expect(error.cause).toBeUndefined();
  });

  test('JSON without client_email / private_key / project_id → InvalidArgument naming only the fields', async () => {
    const { private_key, client_email: _e, ...rest } = fakeServiceAccount();
    const value = Buffer.from(JSON.stringify({ ...rest, private_key })).toString('base64');
    const error = await writeError(target('x.json', { serviceAccountJsonBase64: value }));
    expect(error).toMatchObject({ kind: 'InvalidArgument', id: 'BLOB-gcs-sa-fields' });
    expect(error.message).toContain('client_email');
    expect(error.message).not.toContain('PRIVATE KEY');
  });

  test('a private_key that is not a key → InvalidArgument', async () => {
    const value = Buffer.from(JSON.stringify({ ...fakeServiceAccount(), private_key: 'not a pem' })).toString('base64');
    const error = await readError(target('x.json', { serviceAccountJsonBase64: value }));
    expect(error).toMatchObject({ kind: 'InvalidArgument', id: 'BLOB-gcs-sa-key' });
    expect(error.message).not.toContain('not a pem');
  });

  test('line-wrapped base64 (as `base64 key.json` prints it) is accepted', async () => {
    const wrapped = credentials.replace(/(.{76})/g, '$1\n');
    await blob.write(target('wrapped.json', { serviceAccountJsonBase64: wrapped }), tiny(), within());
    expect(await exists('wrapped.json')).toBe(true);
  });
});

test('invalid bucket or object names → InvalidArgument before any request', async () => {
  for (const t of [target('x.json', { bucket: 'Bad_Bucket!' }), target(''), target('a\nb')]) {
    expect((await writeError(t)).kind).toBe('InvalidArgument');
  }
});

test('missing bucket → NotFound on write and read; missing object → NotFound on read', async () => {
  const noBucket = target('x.json', { bucket: 'no-such-bucket' });
  expect(await writeError(noBucket)).toMatchObject({ kind: 'NotFound', id: 'BLOB-gcs-not-found' });
  expect(await readError(noBucket)).toMatchObject({ kind: 'NotFound', id: 'BLOB-gcs-not-found' });
  expect(await readError(target('nope.json'))).toMatchObject({ kind: 'NotFound', id: 'BLOB-gcs-not-found' });
});

test('a corrupted download → Unavailable (checksum), not silently wrong bytes', async () => {
  await blob.write(target('c.json'), chunksOf(randomBytes(100_000), 10_000), within());
  await emulator.corruptNext(1);
  expect(await readError(target('c.json'))).toMatchObject({ kind: 'Unavailable', id: 'BLOB-gcs-checksum' });
});

describe('an unavailable bucket → Unavailable within seconds', () => {
  test('emulator answering 503 (after the SDK has retried)', async () => {
    await blob.write(target('present.json'), tiny(), within());
    await emulator.failNext(1_000, 503);
    try {
      // Unavailable rather than DeadlineExceeded: the SDK's retries gave up inside the 10 s
      // deadline, without measuring wall-clock time here.
      const unavailable = { kind: 'Unavailable', id: 'BLOB-gcs-unavailable' };
      expect(await writeError(target('y.json'), within(10_000))).toMatchObject(unavailable);
      expect(await readError(target('present.json'), within(10_000))).toMatchObject(unavailable);
    } finally {
      await emulator.reset();
    }
  });

  test('emulator process stopped (connection refused)', async () => {
    const dead = await startGcsEmulator();
    await dead.stop();
    process.env.STORAGE_EMULATOR_HOST = dead.url;
    // As above: Unavailable, not DeadlineExceeded, means it gave up inside the 10 s deadline.
    const unavailable = { kind: 'Unavailable', id: 'BLOB-gcs-unavailable' };
    expect(await writeError(target('z.json'), within(10_000))).toMatchObject(unavailable);
    expect(await readError(target('z.json'), within(10_000))).toMatchObject(unavailable);
  });
});

describe('abort', () => {
  test('mid-write → DeadlineExceeded, and no object, not even later', async () => {
    const controller = new AbortController();
    let sent = 0;
    async function* slowSource(): AsyncGenerator<Uint8Array> {
      // 10 MiB: more than one 8 MiB upload request, so bytes are on the wire before the abort.
      for (let i = 0; i < 10; i++) {
        sent += MiB;
        yield randomBytes(MiB);
      }
      await new Promise(() => undefined); // a producer stuck on something slow
    }
    const writing = blob.write(target('aborted.json'), slowSource(), controller.signal);
    while (sent < 10 * MiB) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    expect(await domainErrorOf(writing)).toMatchObject({ kind: 'DeadlineExceeded', id: 'BLOB-deadline' });
    expect(await exists('aborted.json')).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(await exists('aborted.json')).toBe(false);
  });

  test('an already-aborted signal → DeadlineExceeded without touching storage', async () => {
    await emulator.failNext(1_000, 500); // any request would turn into Unavailable instead
    try {
      const signal = AbortSignal.abort();
      expect(await writeError(target('a.json'), signal)).toMatchObject({ kind: 'DeadlineExceeded' });
      expect(await readError(target('a.json'), signal)).toMatchObject({ kind: 'DeadlineExceeded' });
    } finally {
      await emulator.reset();
    }
  });

  test('mid-read → DeadlineExceeded', async () => {
    await blob.write(target('big.json'), chunksOf(randomBytes(4 * MiB), MiB), within());
    const controller = new AbortController();
    const reading = (async () => {
      for await (const _chunk of blob.read(target('big.json'), controller.signal)) {
        controller.abort();
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    expect(await domainErrorOf(reading)).toMatchObject({ kind: 'DeadlineExceeded' });
  });
});

test("a failing source's own error passes through, and nothing is stored", async () => {
  const boom = new Error('source broke');
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield randomBytes(MiB);
    throw boom;
  }
  await expect(blob.write(target('broken.json'), failing(), within())).rejects.toBe(boom);
  expect(await exists('broken.json')).toBe(false);
});
