/**
 * Issue 9, class 4 (blob store faults), for S3: the S3 emulator (its own process, real SigV4)
 * drops the connection under a multipart upload after its first part, or cuts a download
 * halfway. ExportData answers UNAVAILABLE on gRPC, Connect and REST and leaves neither an
 * object nor a pending multipart upload; ImportData answers UNAVAILABLE and imports nothing.
 * (GCS: faults-blob.test.ts.)
 */
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Code } from '@connectrpc/connect';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { bigOrg, seed } from '../support/export-helpers.js';
import { expectCode, expectOk, listOrgIds } from '../support/import-client.js';
import { type Caller, createCaller, type Protocol } from '../support/protocols.js';
import { type S3Emulator, startS3Emulator } from '../support/s3-emulator.js';

const BUCKET = 'idport-faults';
const MiB = 1024 * 1024;
const CUT_PROTOCOLS: Protocol[] = ['grpc', 'connect-json', 'rest'];

let app: TestApp;
let emulator: S3Emulator;

beforeAll(async () => {
  emulator = await startS3Emulator();
  app = await startTestApp({ s3Endpoints: [emulator.endpoint], s3PartSize: 5 * MiB });
  // Two parts at least: ~14 MB of metadata values beside one user.
  const value = Buffer.alloc(480_000, 3).toString('base64');
  await seed(app, [{ ...bigOrg('s3f', 1), userMetadata: Array.from({ length: 20 }, (_, i) => ({ id: 's3fu0', key: `k${i}`, value })) }]);
}, 60_000);
afterAll(async () => {
  await app?.close();
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.reset();
  await emulator.client().send(new CreateBucketCommand({ Bucket: BUCKET }));
});

const target = (path: string) => ({
  endpoint: emulator.endpoint,
  accessKeyId: emulator.accessKeyId,
  secretAccessKey: emulator.secretAccessKey,
  ssl: false,
  bucket: BUCKET,
  path,
});

describe.each(CUT_PROTOCOLS)('over %s', (protocol) => {
  let caller: Caller;
  beforeAll(() => {
    caller = createCaller(protocol, app.url);
  });
  afterAll(() => caller.close());

  test('an export whose multipart upload loses its connection after the first part answers UNAVAILABLE, leaving nothing', async () => {
    await emulator.fault({ op: 'UploadPart', after: 1, count: 100, mode: 'reset' });
    const request = { s3Output: target(`cut/${protocol}.json`), timeout: '2m' };
    expectCode(await caller.call(AdminService.method.exportData, request, { token: app.token }), Code.Unavailable);
    const bucket = (await emulator.state()).buckets[BUCKET];
    expect({ objects: Object.keys(bucket?.objects ?? {}), uploads: bucket?.uploads }).toEqual({ objects: [], uploads: [] });
  }, 60_000);

  test('an import whose download is cut halfway answers UNAVAILABLE and imports nothing', async () => {
    const orgId = `s3in-${protocol}`;
    const body = JSON.stringify({ orgs: [bigOrg(orgId, 3000)] });
    await emulator.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'in.json', Body: body }));
    const before = await listOrgIds(caller, app.token);
    await emulator.fault({ op: 'GetObject', count: 100, mode: 'truncate' });
    const result = await caller.call(
      AdminService.method.importData,
      { dataOrgsS3: target('in.json'), timeout: '2m' },
      { token: app.token },
    );
    expectCode(result, Code.Unavailable);
    expect(await listOrgIds(caller, app.token)).toEqual(before);
  }, 60_000);
});

test('without faults the same export succeeds (the faults were the only cause)', async () => {
  const caller = createCaller('connect-json', app.url);
  try {
    expectOk(await caller.call(AdminService.method.exportData, { s3Output: target('ok.json'), timeout: '2m' }, { token: app.token }));
    expect(Object.keys((await emulator.state()).buckets[BUCKET]?.objects ?? {})).toEqual(['ok.json']);
  } finally {
    caller.close();
  }
}, 60_000);
