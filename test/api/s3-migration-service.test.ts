/**
 * idport.v1.MigrationService/ImportData wraps ZITADEL's ImportDataRequest, so its S3 inputs
 * work there too, with idport's options and per-resource outcomes (dry run included), on every
 * protocol.
 */

import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { JsonObject } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { MigrationService } from '../../gen/idport/v1/migration_pb.js';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { expectCode, expectOk, listOrgIds } from '../support/import-client.js';
import { type Caller, createCaller, PROTOCOLS } from '../support/protocols.js';
import { type S3Emulator, startS3Emulator } from '../support/s3-emulator.js';

let emulator: S3Emulator;
let app: TestApp;

beforeAll(async () => {
  emulator = await startS3Emulator();
  await emulator.client().send(new CreateBucketCommand({ Bucket: 'migrations' }));
  app = await startTestApp({ s3Endpoints: [emulator.endpoint] });
});
afterAll(async () => {
  await app?.close();
  await emulator?.stop();
});

describe.each(PROTOCOLS)('over %s', (protocol) => {
  const suffix = `-s3m${PROTOCOLS.indexOf(protocol)}`;
  const orgs = seededOrgs(suffix);
  const key = `exports/${protocol}.json`;
  let caller: Caller;
  const s3 = (overrides: JsonObject = {}) => ({
    endpoint: emulator.endpoint,
    accessKeyId: emulator.accessKeyId,
    secretAccessKey: emulator.secretAccessKey,
    bucket: 'migrations',
    path: key,
    ...overrides,
  });
  const importData = (request: JsonObject, options: JsonObject = {}) =>
    caller.call(MigrationService.method.importData, { request: { timeout: '5m', ...request }, options }, { token: app.token });

  beforeAll(async () => {
    caller = createCaller(protocol, app.url);
    await emulator.client().send(new PutObjectCommand({ Bucket: 'migrations', Key: key, Body: JSON.stringify({ orgs }) }));
  });
  afterAll(() => caller.close());

  test('data_orgs_s3: a dry run writes nothing, then the import creates every resource', async () => {
    const before = await listOrgIds(caller, app.token);
    const dry = expectOk(await importData({ dataOrgsS3: s3() }, { dryRun: true }));
    expect(dry.dryRun).toBe(true);
    expect(await listOrgIds(caller, app.token)).toEqual(before);

    const done = expectOk(await importData({ dataOrgsS3: s3() }));
    const results = (done.results ?? []) as JsonObject[];
    expect(results.length).toBeGreaterThan(40);
    expect(new Set(results.map((r) => r.outcome))).toEqual(new Set(['OUTCOME_CREATED']));
    expect(await listOrgIds(caller, app.token)).toEqual(expect.arrayContaining(orgs.map((o) => o.orgId)));
  });

  test('data_orgsv1_s3 with a wrong secret → PERMISSION_DENIED; outside the allow-list → INVALID_ARGUMENT', async () => {
    expectCode(await importData({ dataOrgsv1S3: s3({ secretAccessKey: 'not-the-secret' }) }), Code.PermissionDenied);
    expectCode(await importData({ dataOrgsv1S3: s3({ endpoint: 'not-allowed.invalid:9000' }) }), Code.InvalidArgument);
  });
});
