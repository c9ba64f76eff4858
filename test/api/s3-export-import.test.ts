/**
 * ExportData's `s3_output` and ImportData's `data_orgs_s3` / `data_orgsv1_s3` through the S3
 * emulator process (SigV4-checking): the migration guide's calls in S3 form move an instance
 * with nothing lost, a multipart export, failures that leave no object, codes by meaning on
 * every protocol, and credentials that never reach a response or the log.
 */

import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { JsonObject } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import type { Logger } from '../../src/log.js';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { exportRest, orgsOf, postJson, seed } from '../support/export-helpers.js';
import { expectCode, listOrgIds } from '../support/import-client.js';
import { type Caller, createCaller, PROTOCOLS } from '../support/protocols.js';
import { type S3Emulator, startS3Emulator } from '../support/s3-emulator.js';

const BUCKET = 'idport-exports';
const MiB = 1024 * 1024;
const ALL = { with_passwords: true, with_otp: true, timeout: '1m' };

const logged: string[] = [];
const logger: Logger = {
  info: (m) => logged.push(m),
  warn: (m) => logged.push(m),
  error: (m, cause) => logged.push(`${m} ${cause instanceof Error ? (cause.stack ?? cause.message) : ''}`),
};

let emulator: S3Emulator;
let source: TestApp;
let target: TestApp;
/** The seeded orgs as `response_output` exports them: every S3 copy must equal it. */
let reference: JsonObject;
let orgIds: string[];

beforeAll(async () => {
  emulator = await startS3Emulator();
  const s3 = { s3Endpoints: [emulator.endpoint], s3PartSize: 5 * MiB };
  source = await startTestApp(s3, { logger });
  target = await startTestApp(s3, { logger });
  const orgs = seededOrgs();
  orgIds = orgs.map((o) => o.orgId);
  await seed(source, orgs);
  const res = await exportRest(source, { ...ALL, org_ids: orgIds, response_output: true });
  expect(res.status).toBe(200);
  reference = res.json;
});
afterAll(async () => {
  await source?.close();
  await target?.close();
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.reset();
  await emulator.client().send(new CreateBucketCommand({ Bucket: BUCKET }));
});

/** ZITADEL's S3Output / S3Input, in the snake_case of the migration guide's curl calls. */
const s3Fields = (path: string, overrides: JsonObject = {}): JsonObject => ({
  endpoint: emulator.endpoint,
  access_key_id: emulator.accessKeyId,
  secret_access_key: emulator.secretAccessKey,
  ssl: false,
  bucket: BUCKET,
  path,
  ...overrides,
});

async function objectText(key: string): Promise<string> {
  const got = await emulator.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return got.Body!.transformToString();
}
const objectKeys = async () => Object.keys((await emulator.state()).buckets[BUCKET]?.objects ?? {});
const importRest = (app: TestApp, body: JsonObject) => postJson(app, '/admin/v1/import', { timeout: '5m', ...body });

describe('the migration guide in S3 form', () => {
  test('s3_output writes the export; data_orgs_s3 imports it into another instance with nothing lost', async () => {
    const exported = await exportRest(source, { ...ALL, org_ids: orgIds, s3_output: s3Fields('migration/export.json') });
    expect(exported.status).toBe(200);
    expect(exported.json).toEqual({});
    expect(JSON.parse(await objectText('migration/export.json'))).toEqual(reference);

    const imported = await importRest(target, { data_orgs_s3: s3Fields('migration/export.json') });
    expect(imported.status).toBe(200);
    expect(imported.json.errors ?? []).toEqual([]);
    const back = await exportRest(target, { ...ALL, org_ids: orgIds, response_output: true });
    expect(back.json).toEqual(reference);
  });

  test("data_orgsv1_s3 (the guide's field) reads a v1 export: iamPolicy becomes the domain policy", async () => {
    const human = { userName: 'v1-s3-user', profile: { firstName: 'V', lastName: 'One' }, email: { email: 'v1@s3.example' } };
    const v1 = {
      orgs: [
        {
          orgId: 'v1-s3',
          org: { name: 'V1 via S3' },
          iamPolicy: { userLoginMustBeDomain: true },
          humanUsers: [{ userId: 'v1-s3-u', user: human }],
        },
      ],
    };
    await emulator.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'v1/export.json', Body: JSON.stringify(v1) }));
    const imported = await importRest(target, { data_orgsv1_s3: s3Fields('v1/export.json') });
    expect(imported.status).toBe(200);
    expect(imported.json.errors ?? []).toEqual([]);
    const [org] = orgsOf((await exportRest(target, { ...ALL, org_ids: ['v1-s3'], response_output: true })).json);
    expect(org).toMatchObject({ orgId: 'v1-s3', domainPolicy: { userLoginMustBeDomain: true }, humanUsers: [{ userId: 'v1-s3-u' }] });
  });

  test('s3_output beside response_output and local_output: all three carry the same export', async () => {
    const res = await exportRest(source, {
      ...ALL,
      org_ids: orgIds,
      response_output: true,
      local_output: { path: 's3/multi.json' },
      s3_output: s3Fields('multi.json'),
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual(reference);
    expect(JSON.parse(await objectText('multi.json'))).toEqual(reference);
  });
});

test('an export bigger than one part goes up in several parts and imports back whole', async () => {
  // 20 metadata values of 480,000 bytes (640,000 of base64 each, under both ZITADEL's 500,000-byte
  // metadata bound and the 1 MiB JSON string bound): ~12 MiB of export, so at least two 5 MiB parts.
  const value = Buffer.alloc(480_000, 7).toString('base64');
  const userMetadata = Array.from({ length: 20 }, (_, i) => ({ id: '900u', key: `blob-${i}`, value }));
  const big = {
    orgId: '900',
    org: { name: 'Big' },
    humanUsers: [
      { userId: '900u', user: { userName: 'big-user', profile: { firstName: 'B', lastName: 'U' }, email: { email: 'big@big.example' } } },
    ],
    userMetadata,
    orgState: 'ORG_STATE_ACTIVE',
  };
  await seed(source, [big]);
  const res = await exportRest(source, { ...ALL, org_ids: ['900'], response_output: true, s3_output: s3Fields('big/export.json') });
  expect(res.status).toBe(200);
  expect(res.text.length).toBeGreaterThan(5 * MiB);
  const state = await emulator.state();
  expect(state.requests.UploadPart).toBeGreaterThanOrEqual(2);
  expect(state.requests.CompleteMultipartUpload).toBe(1);
  expect(JSON.parse(await objectText('big/export.json'))).toEqual(res.json);

  const imported = await importRest(target, { data_orgs_s3: s3Fields('big/export.json') });
  expect(imported.json.errors ?? []).toEqual([]);
  expect((await exportRest(target, { ...ALL, org_ids: ['900'], response_output: true })).json).toEqual(res.json);
});

test('the store failing mid-upload: UNAVAILABLE, and no object is left', async () => {
  const value = Buffer.alloc(480_000, 3).toString('base64');
  await seed(source, [
    {
      orgId: '901',
      org: { name: 'Big 2' },
      humanUsers: [
        { userId: '901u', user: { userName: 'big-2', profile: { firstName: 'B', lastName: 'U' }, email: { email: 'big2@big.example' } } },
      ],
      userMetadata: Array.from({ length: 14 }, (_, i) => ({ id: '901u', key: `k${i}`, value })),
      orgState: 'ORG_STATE_ACTIVE',
    },
  ]);
  await emulator.fault({ op: 'UploadPart', after: 1, count: 100, status: 500 });
  const res = await exportRest(source, { ...ALL, org_ids: ['901'], s3_output: s3Fields('failing/export.json') });
  expect({ status: res.status, code: res.json.code }).toEqual({ status: 503, code: Code.Unavailable });
  expect(await objectKeys()).toEqual([]);
  expect((await emulator.state()).buckets[BUCKET]?.uploads).toEqual([]);
});

test('a truncated export object is refused whole (INVALID_ARGUMENT) and imports nothing', async () => {
  const text = JSON.stringify(reference);
  await emulator
    .client()
    .send(new PutObjectCommand({ Bucket: BUCKET, Key: 'half.json', Body: text.slice(0, Math.floor(text.length / 2)) }));
  const fresh = await startTestApp({ s3Endpoints: [emulator.endpoint] });
  const caller = createCaller('connect-json', fresh.url);
  try {
    const before = await listOrgIds(caller, fresh.token);
    const res = await importRest(fresh, { data_orgs_s3: s3Fields('half.json') });
    expect({ status: res.status, code: res.json.code }).toEqual({ status: 400, code: Code.InvalidArgument });
    expect(await listOrgIds(caller, fresh.token)).toEqual(before);
  } finally {
    caller.close();
    await fresh.close();
  }
});

describe.each(PROTOCOLS)('errors over %s', (protocol) => {
  let caller: Caller;
  beforeAll(() => {
    caller = createCaller(protocol, source.url);
  });
  afterAll(() => caller.close());

  const s3 = (path: string, overrides: JsonObject = {}) => ({
    endpoint: emulator.endpoint,
    accessKeyId: emulator.accessKeyId,
    secretAccessKey: emulator.secretAccessKey,
    ssl: false,
    bucket: BUCKET,
    path,
    ...overrides,
  });
  const exportTo = (s3Output: JsonObject, timeout = '1m') =>
    caller.call(AdminService.method.exportData, { orgIds, s3Output, timeout }, { token: source.token });
  const importFrom = (field: 'dataOrgsS3' | 'dataOrgsv1S3', input: JsonObject, timeout = '1m') =>
    caller.call(AdminService.method.importData, { [field]: input, timeout }, { token: source.token });

  test('an endpoint outside IDPORT_S3_ENDPOINTS → INVALID_ARGUMENT, nothing contacted', async () => {
    expectCode(await exportTo(s3('x.json', { endpoint: '127.0.0.1:9' })), Code.InvalidArgument);
    expectCode(await importFrom('dataOrgsS3', s3('x.json', { endpoint: 'metadata.invalid' })), Code.InvalidArgument);
    expectCode(await importFrom('dataOrgsv1S3', s3('x.json', { endpoint: `${emulator.endpoint}/path` })), Code.InvalidArgument);
    expect((await emulator.state()).requests).toEqual({ CreateBucket: 1 });
  });

  test('wrong credentials → PERMISSION_DENIED, for export and both import fields', async () => {
    const wrong = { secretAccessKey: 'wrong-secret-0123456789' };
    expectCode(await exportTo(s3('x.json', wrong)), Code.PermissionDenied);
    expectCode(await importFrom('dataOrgsS3', s3('x.json', wrong)), Code.PermissionDenied);
    expectCode(await importFrom('dataOrgsv1S3', s3('x.json', { accessKeyId: 'AKIDNOSUCHKEY1' })), Code.PermissionDenied);
    expect(await objectKeys()).toEqual([]);
  });

  test('a missing bucket or object → NOT_FOUND', async () => {
    expectCode(await exportTo(s3('x.json', { bucket: 'no-such-bucket' })), Code.NotFound);
    expectCode(await importFrom('dataOrgsS3', s3('no/such/object.json')), Code.NotFound);
    expectCode(await importFrom('dataOrgsv1S3', s3('x.json', { bucket: 'no-such-bucket' })), Code.NotFound);
  });

  test('a failing store → UNAVAILABLE; a hanging one → DEADLINE_EXCEEDED at the request timeout', async () => {
    await emulator.fault({ op: '*', count: 100, status: 503 });
    expectCode(await exportTo(s3('x.json')), Code.Unavailable);
    expectCode(await importFrom('dataOrgsv1S3', s3('x.json')), Code.Unavailable);
    await emulator.reset();
    await emulator.client().send(new CreateBucketCommand({ Bucket: BUCKET }));
    await emulator.fault({ op: '*', count: 100, mode: 'hang' });
    expectCode(await exportTo(s3('x.json'), '1s'), Code.DeadlineExceeded);
    expectCode(await importFrom('dataOrgsS3', s3('x.json'), '1s'), Code.DeadlineExceeded);
    await emulator.reset();
    expect(await emulator.state()).toMatchObject({ buckets: {} });
  });

  test('missing fields → INVALID_ARGUMENT naming them', async () => {
    expectCode(await exportTo(s3('x.json', { secretAccessKey: '' })), Code.InvalidArgument);
    expectCode(await importFrom('dataOrgsS3', s3('x.json', { endpoint: '' })), Code.InvalidArgument);
  });
});

test('S3 disabled (no IDPORT_S3_ENDPOINTS) → INVALID_ARGUMENT saying so', async () => {
  const off = await startTestApp();
  try {
    const res = await exportRest(off, { ...ALL, s3_output: s3Fields('x.json') });
    expect({ status: res.status, code: res.json.code }).toEqual({ status: 400, code: Code.InvalidArgument });
    expect(String(res.json.message)).toMatch(/IDPORT_S3_ENDPOINTS/);
  } finally {
    await off.close();
  }
});

test('credentials appear in no response and no log line', async () => {
  const secret = emulator.secretAccessKey;
  const responses = [
    await exportRest(source, { ...ALL, s3_output: s3Fields('x.json', { secret_access_key: `${secret}-wrong` }) }),
    await importRest(source, {
      data_orgs_s3: s3Fields('x.json', { access_key_id: 'AKIDLEAKCHECK01', secret_access_key: 'leak-check-secret' }),
    }),
  ];
  await emulator.fault({ op: '*', count: 100, status: 500 });
  responses.push(await exportRest(source, { ...ALL, s3_output: s3Fields('x.json') }));
  for (const res of responses) {
    for (const value of [secret, emulator.accessKeyId, 'AKIDLEAKCHECK01', 'leak-check-secret']) expect(res.text).not.toContain(value);
  }
  expect(logged.length).toBeGreaterThan(0);
  for (const line of logged) {
    for (const value of [secret, emulator.accessKeyId, 'AKIDLEAKCHECK01', 'leak-check-secret']) expect(line).not.toContain(value);
  }
});
