/**
 * ExportData's errors, once per wire protocol (STYLE.md habit 13): the status code everywhere,
 * grpc-gateway's HTTP status on REST, and the stable error id (read by hand over Connect JSON,
 * whose typed client drops it). Failed exports must leave no file and no object behind.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import type { Storage } from '@google-cloud/storage';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import type { Logger } from '../../src/log.js';
import { BCRYPT_HASH, OTP_SECRET, seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { bigOrg, exportConnectRaw, listFiles, seed, useGcsEmulator } from '../support/export-helpers.js';
import type { GcsEmulator } from '../support/gcs-emulator.js';
import { type Caller, createCaller, HTTP_STATUS, PROTOCOLS } from '../support/protocols.js';
import { fakeServiceAccountBase64 } from '../support/service-account.js';

const exportData = AdminService.method.exportData;
const BUCKET = 'idport-exports';
const credentials = fakeServiceAccountBase64();
/** What the app logged, causes included, as the real logger would print them. */
const logged: string[] = [];
const logger: Logger = {
  info: (m) => logged.push(m),
  warn: (m) => logged.push(m),
  error: (m, cause) => logged.push(`${m} ${cause instanceof Error ? (cause.stack ?? cause.message) : ''}`),
};

let app: TestApp;
let emulator: GcsEmulator;
let sdk: Storage;
let gcsSetup: Awaited<ReturnType<typeof useGcsEmulator>>;

beforeAll(async () => {
  gcsSetup = await useGcsEmulator();
  ({ emulator, sdk } = gcsSetup);
  app = await startTestApp({}, { logger });
  // '050' sorts first: 2000 users make the first org alone take many milliseconds to read.
  await seed(app, [...seededOrgs(), bigOrg('050', 2000)]);
});

afterAll(async () => {
  await app?.close();
  await gcsSetup?.stop();
});

beforeEach(async () => {
  // Also clears failures a 503 case injected beyond the adapter's retries.
  await emulator.reset();
  await sdk.createBucket(BUCKET);
});

interface ErrorCase {
  name: string;
  request: JsonObject;
  code: Code;
  /** Stable id (`x-idport-error-id`). */
  id: string;
  /** Texts the message must contain (ids the client got wrong). */
  names?: string[];
  /** Makes the emulator fail this many requests with 503 first (more than the adapter retries). */
  gcsFailures?: number;
  /** A GCS object that must not exist afterwards. */
  object?: string;
}

const gcs = (overrides: JsonObject = {}): JsonObject => ({
  gcsOutput: { bucket: BUCKET, path: 'errors/export.json', serviceaccountJson: credentials, ...overrides },
});
const toResponse = { responseOutput: true };

const CASES: ErrorCase[] = [
  {
    name: 'an unknown id in org_ids',
    request: { ...toResponse, orgIds: ['100', 'no-such-org'] },
    code: Code.NotFound,
    id: 'EXPORT-org-not-found',
    names: ['no-such-org'],
  },
  {
    name: 'unknown ids in excluded_org_ids',
    request: { ...toResponse, excludedOrgIds: ['gone-1', '200', 'gone-2'] },
    code: Code.NotFound,
    id: 'EXPORT-org-not-found',
    names: ['gone-1', 'gone-2'],
  },
  {
    name: 'unknown ids in both lists',
    request: { ...toResponse, orgIds: ['missing-a'], excludedOrgIds: ['missing-b'] },
    code: Code.NotFound,
    id: 'EXPORT-org-not-found',
    names: ['missing-a', 'missing-b'],
  },
  { name: 'timeout "abc"', request: { ...toResponse, timeout: 'abc' }, code: Code.InvalidArgument, id: 'DURATION-invalid' },
  { name: 'timeout "10" (no unit)', request: { ...toResponse, timeout: '10' }, code: Code.InvalidArgument, id: 'DURATION-invalid' },
  // Issue 9: beyond Go's time.Duration (int64 ns) is a bad request, not an instant deadline.
  {
    name: 'timeout "2562048h" (past Go\'s range)',
    request: { ...toResponse, timeout: '2562048h' },
    code: Code.InvalidArgument,
    id: 'DURATION-range',
  },
  { name: 'timeout "1ns"', request: { ...toResponse, timeout: '1ns' }, code: Code.DeadlineExceeded, id: 'EXPORT-deadline' },
  { name: 'no output at all', request: { withPasswords: true, timeout: '1m' }, code: Code.InvalidArgument, id: 'EXPORT-no-output' },
  {
    // This server has no IDPORT_S3_ENDPOINTS (S3 through an allowed endpoint: s3-export-import.test.ts).
    name: 's3_output on a server with S3 disabled',
    request: { s3Output: { bucket: 'b', path: 'export.json', endpoint: 's3.example', accessKeyId: 'k', secretAccessKey: 's' } },
    code: Code.InvalidArgument,
    id: 'BLOB-s3-disabled',
  },
  {
    name: 's3_output without endpoint and credentials, next to response_output',
    request: { ...toResponse, s3Output: { bucket: 'b', path: 'export.json' } },
    code: Code.InvalidArgument,
    id: 'EXPORT-s3-target',
  },
  { name: 'local_output "../x"', request: { localOutput: { path: '../x' } }, code: Code.InvalidArgument, id: 'BLOB-local-path' },
  {
    name: 'local_output "/etc/passwd"',
    request: { localOutput: { path: '/etc/passwd' } },
    code: Code.InvalidArgument,
    id: 'BLOB-local-path',
  },
  {
    name: 'gcs_output with serviceaccount_json not base64',
    request: gcs({ serviceaccountJson: 'not base64 {json}' }),
    code: Code.InvalidArgument,
    id: 'BLOB-gcs-sa-base64',
    object: 'errors/export.json',
  },
  { name: 'gcs_output to a missing bucket', request: gcs({ bucket: 'no-such-bucket' }), code: Code.NotFound, id: 'BLOB-gcs-not-found' },
  {
    name: 'gcs_output while GCS answers 503',
    request: gcs(),
    code: Code.Unavailable,
    id: 'BLOB-gcs-unavailable',
    gcsFailures: 10,
    object: 'errors/export.json',
  },
];

async function expectNoObject(name: string | undefined) {
  if (name === undefined) return;
  await emulator.failNext(0); // drop injected failures the adapter's retries did not use up
  const [exists] = await sdk.bucket(BUCKET).file(name).exists();
  expect({ object: name, exists }).toEqual({ object: name, exists: false });
}

describe.each(PROTOCOLS)('over %s', (protocol) => {
  let caller: Caller;
  beforeAll(() => {
    caller = createCaller(protocol, app.url);
  });
  afterAll(() => caller.close());

  test.each(CASES)('$name', async (c) => {
    if (c.gcsFailures) await emulator.failNext(c.gcsFailures, 503);
    const result = await caller.call(exportData, c.request, { token: app.token });
    expect({ ok: result.ok, code: result.ok ? undefined : Code[result.code] }).toEqual({ ok: false, code: Code[c.code] });
    if (result.ok) return;
    if (protocol === 'rest') expect(result.httpStatus).toBe(HTTP_STATUS[c.code]);
    for (const name of c.names ?? []) expect(result.message).toContain(name);
    await expectNoObject(c.object);
  });

  test('without a token', async () => {
    const result = await caller.call(exportData, toResponse);
    expect({ ok: result.ok, code: result.ok ? undefined : Code[result.code] }).toEqual({ ok: false, code: 'Unauthenticated' });
    if (!result.ok && protocol === 'rest') expect(result.httpStatus).toBe(401);
  });
});

describe('stable error ids over connect-json', () => {
  test.each(CASES)('$name', async (c) => {
    if (c.gcsFailures) await emulator.failNext(c.gcsFailures, 503);
    const res = await exportConnectRaw(app, c.request);
    expect({ status: res.status, id: res.errorId }).toEqual({ status: HTTP_STATUS[c.code], id: c.id });
  });
});

describe('a timeout that passes mid-export', () => {
  test('is DEADLINE_EXCEEDED and leaves neither file, temp file nor object', async () => {
    const res = await exportConnectRaw(app, {
      timeout: '1ms',
      withPasswords: true,
      responseOutput: true,
      localOutput: { path: 'late/export.json' },
      gcsOutput: { bucket: BUCKET, path: 'late/export.json', serviceaccountJson: credentials },
    });
    expect({ status: res.status, id: res.errorId }).toEqual({ status: 504, id: 'EXPORT-deadline' });
    expect(await listFiles(app.exportDir)).toEqual([]);
    await expectNoObject('late/export.json');
  });

  test('the same export with room to finish succeeds', async () => {
    const res = await exportConnectRaw(app, { timeout: '2m', withPasswords: true, localOutput: { path: 'late/export.json' } });
    expect(res.status).toBe(200);
    expect(await listFiles(app.exportDir)).toEqual(['late/export.json']);
  });
});

test('the logs name the failures but carry no credentials or secrets', () => {
  expect(logged.some((line) => line.includes('Unavailable'))).toBe(true);
  const privateKey = JSON.parse(Buffer.from(credentials, 'base64').toString('utf8')).private_key as string;
  const leaks = logged.filter((line) =>
    [credentials, privateKey.split('\n')[1] ?? privateKey, 'PRIVATE KEY', BCRYPT_HASH, OTP_SECRET, app.token].some((secret) =>
      line.includes(secret),
    ),
  );
  expect(leaks).toEqual([]);
});
