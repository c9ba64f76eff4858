/**
 * Issue 9, class 4 (blob store faults): GCS failing half-way through a transfer. The GCS
 * emulator runs as its own process and the unmodified @google-cloud/storage client talks to
 * it; the emulator cuts the transfer (test/support/gcs-emulator/faults.ts). An export whose
 * upload is cut answers UNAVAILABLE (503 on REST), never INTERNAL, and leaves no object; an
 * import whose download is cut answers UNAVAILABLE and imports nothing.
 */
import { Code } from '@connectrpc/connect';
import type { Storage } from '@google-cloud/storage';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { bigOrg, seed, useGcsEmulator } from '../support/export-helpers.js';
import type { GcsEmulator } from '../support/gcs-emulator.js';
import { expectCode, expectOk } from '../support/import-client.js';
import { type Caller, createCaller, type Protocol } from '../support/protocols.js';
import { fakeServiceAccountBase64 } from '../support/service-account.js';

const BUCKET = 'idport-faults';
const credentials = fakeServiceAccountBase64();
/** gRPC, Connect and REST: the three error paths (trailers, Connect JSON, grpc-gateway status). */
const CUT_PROTOCOLS: Protocol[] = ['grpc', 'connect-json', 'rest'];
/** Well inside the ~500 KB export of bigOrg(…, 2000), so every attempt is cut part-way. */
const CUT_AFTER = 64 * 1024;
/** More cuts than the adapter's retries (src/blob/gcs.ts RETRY_OPTIONS) can use up. */
const ALWAYS = 1_000;

/** The app's error log lines: each fault is logged under its code, none as Internal. */
const logged: string[] = [];
let app: TestApp;
let emulator: GcsEmulator;
let sdk: Storage;
let gcs: Awaited<ReturnType<typeof useGcsEmulator>>;

beforeAll(async () => {
  gcs = await useGcsEmulator();
  ({ emulator, sdk } = gcs);
  app = await startTestApp({}, { logger: { info() {}, warn() {}, error: (m) => logged.push(m) } });
  await seed(app, [bigOrg('fb1', 2000)]);
}, 60_000);
afterAll(async () => {
  await app?.close();
  await gcs?.stop();
});
beforeEach(async () => {
  await emulator.reset();
  await sdk.createBucket(BUCKET);
});

const target = (path: string) => ({ bucket: BUCKET, path, serviceaccountJson: credentials });

describe.each(CUT_PROTOCOLS)('over %s', (protocol) => {
  let caller: Caller;
  beforeAll(() => {
    caller = createCaller(protocol, app.url);
  });
  afterAll(() => caller.close());

  test.each(['drop', '503'] as const)(
    'an export whose upload is cut (%s) answers UNAVAILABLE and leaves no object',
    async (mode) => {
      await emulator.cut('upload', { afterBytes: CUT_AFTER, mode, count: ALWAYS });
      const path = `cut/${protocol}-${mode}.json`;
      const result = await caller.call(
        AdminService.method.exportData,
        { gcsOutput: target(path), withPasswords: true, timeout: '2m' },
        { token: app.token },
      );
      expectCode(result, Code.Unavailable);
      // No partial object is visible: the bucket holds nothing at all.
      const [files] = await sdk.bucket(BUCKET).getFiles();
      expect(files.map((f) => f.name)).toEqual([]);
      const [exists] = await sdk.bucket(BUCKET).file(path).exists();
      expect(exists).toBe(false);
    },
    60_000,
  );

  test('an import whose download is cut answers UNAVAILABLE and imports nothing', async () => {
    const orgId = `fb-${protocol}`;
    const path = `in/${orgId}.json`;
    await sdk
      .bucket(BUCKET)
      .file(path)
      .save(JSON.stringify({ orgs: [bigOrg(orgId, 2000)] }));
    await emulator.cut('download', { afterBytes: CUT_AFTER, count: ALWAYS });
    const result = await caller.call(AdminService.method.importData, { dataOrgsGcs: target(path), timeout: '2m' }, { token: app.token });
    expectCode(result, Code.Unavailable);
    const orgs = expectOk(await caller.call(AdminService.method.listOrgs, {}, { token: app.token }));
    expect(((orgs.result ?? []) as { id?: string }[]).map((o) => o.id)).not.toContain(orgId);
  }, 60_000);
});

test('with the cut over, the same export and import succeed (the faults were the only cause)', async () => {
  const caller = createCaller('connect-json', app.url);
  try {
    const exported = await caller.call(
      AdminService.method.exportData,
      { gcsOutput: target('ok/export.json'), timeout: '2m' },
      { token: app.token },
    );
    expectOk(exported);
    const [exists] = await sdk.bucket(BUCKET).file('ok/export.json').exists();
    expect(exists).toBe(true);
    await sdk
      .bucket(BUCKET)
      .file('ok/in.json')
      .save(JSON.stringify({ orgs: [bigOrg('fb-ok', 2000)] }));
    const request = { dataOrgsGcs: target('ok/in.json'), timeout: '2m' };
    const report = expectOk(await caller.call(AdminService.method.importData, request, { token: app.token }));
    expect(report.errors ?? []).toEqual([]);
    const orgs = expectOk(await caller.call(AdminService.method.listOrgs, {}, { token: app.token }));
    expect(((orgs.result ?? []) as { id?: string }[]).map((o) => o.id)).toContain('fb-ok');
  } finally {
    caller.close();
  }
}, 60_000);

test('every fault was logged as Unavailable, none as Internal', () => {
  expect(logged.length).toBeGreaterThan(0);
  expect(logged.filter((m) => !m.includes('Unavailable'))).toEqual([]);
});
