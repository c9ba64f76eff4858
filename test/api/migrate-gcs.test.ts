import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonObject } from '@bufbuild/protobuf';
import { migrate } from '../../src/cli/migrate.js';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { bigOrg, postJson, seed, useGcsEmulator } from '../support/export-helpers.js';
import { fakeServiceAccount } from '../support/service-account.js';

// --via-gcs: the ZITADEL source writes its export with its own gcs_output, migrate reads it
// back from GCS (@google-cloud/storage against test/support/gcs-emulator), org by org.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUCKET = 'migrate-detour';

let zitadel: TestApp;
let idport: TestApp;
let gcs: Awaited<ReturnType<typeof useGcsEmulator>>;
let dir: string;
let accountFile: string;

beforeAll(async () => {
  gcs = await useGcsEmulator();
  [zitadel, idport] = await Promise.all([startTestApp({ services: { idport: false } }), startTestApp()]);
  await gcs.sdk.createBucket(BUCKET);
  dir = await mkdtemp(path.join(tmpdir(), 'idport-migrate-gcs-'));
  accountFile = path.join(dir, 'sa.json');
  await writeFile(accountFile, JSON.stringify(fakeServiceAccount()));
});

afterAll(async () => {
  await Promise.all([zitadel?.close(), idport?.close()]);
  await gcs?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ids = (orgs: readonly unknown[]) => (orgs as JsonObject[]).map((o) => String(o.orgId));

async function exported(app: TestApp, orgIds: string[]): Promise<JsonObject[]> {
  const res = await postJson(app, '/admin/v1/export', { org_ids: orgIds, with_passwords: true, with_otp: true, response_output: true });
  expect(res.status).toBe(200);
  return res.json.orgs as JsonObject[];
}

test('ZITADEL → idport through GCS: an org far over the message limit arrives whole, with every kind', async () => {
  const orgs = [...seededOrgs('-gcs'), bigOrg('big-gcs', 300)];
  await seed(zitadel, orgs);
  const account = Buffer.from(JSON.stringify(fakeServiceAccount())).toString('base64');
  const sent = new Map<string, number>();

  const report = await migrate({
    source: { url: zitadel.url, token: zitadel.token },
    target: { url: idport.url, token: idport.token },
    orgIds: ids(orgs),
    withPasswords: true,
    withOtp: true,
    // The big org is ~10× this; inline it would be refused (see migrate-zitadel.test.ts).
    maxMessageBytes: 8192,
    viaGcs: { bucket: BUCKET, path: 'detour/all.json', serviceAccountJsonBase64: account },
    onProgress: (e) => {
      if (e.step === 'sent') sent.set(e.orgId, e.calls ?? 0);
    },
  });

  expect(report.response.errors).toEqual([]);
  expect(report.totals.failed).toBe(0n);
  // The big org went to StreamImport in parts under the limit.
  expect(sent.get('big-gcs')).toBeGreaterThan(1);
  expect(report.response.success?.orgs.map((o) => o.orgId)).toEqual(ids(orgs));
  expect(await exported(idport, ids(orgs))).toEqual(await exported(zitadel, ids(orgs)));
  // The source wrote ZITADEL's gcs_output: the object is the export migrate read.
  const [bytes] = await gcs.sdk.bucket(BUCKET).file('detour/all.json').download();
  expect((JSON.parse(bytes.toString('utf8')) as { orgs: JsonObject[] }).orgs.map((o) => o.orgId)).toEqual(ids(orgs));
});

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/migrate.ts', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, NODE_OPTIONS: '', IDPORT_TARGET_TOKEN: idport.token, STORAGE_EMULATOR_HOST: gcs.emulator.url },
        timeout: 60_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

test('the CLI: --via-gcs into a bucket that does not exist is NOT_FOUND from the source, the key never printed', async () => {
  const pat = path.join(dir, 'z.pat');
  await writeFile(pat, zitadel.token);
  const base = ['--from', zitadel.url, '--from-token-file', pat, '--to', idport.url];

  const run = await runCli([...base, '--via-gcs', 'no-such-bucket/x.json', '--gcs-service-account', accountFile]);

  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^migrate: source: NOT_FOUND/);
  expect(run.stderr + run.stdout).not.toContain('PRIVATE KEY');
  const half = await runCli([...base, '--via-gcs', `${BUCKET}/x.json`]);
  expect(half.code).toBe(2);
  expect(half.stderr).toContain('--via-gcs BUCKET/PATH and --gcs-service-account FILE go together');
});

test('--via-gcs needs a ZITADEL source', async () => {
  await expect(
    migrate({
      source: { url: idport.url, token: idport.token },
      target: { url: zitadel.url, token: zitadel.token },
      withPasswords: false,
      withOtp: false,
      viaGcs: { bucket: BUCKET, path: 'x.json', serviceAccountJsonBase64: 'e30=' },
    }),
  ).rejects.toMatchObject({ name: 'UsageError', message: expect.stringContaining('--via-gcs') });
});
