/**
 * A job's stored request keeps what the caller sent so another replica can resume it: a GCS
 * service account's JSON, an inline import's IdP client secrets. Sealed at rest (job-store.ts):
 * plain SQL over every table finds none of them; GetJob and ListJobs never show them; a start
 * re-seals legacy clear requests and requests under a rotated-out key, and the job still runs
 * from what was sealed. Runs on PGlite (on disk, for restarts) and on PostgreSQL with DATABASE_URL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import { Storage } from '@google-cloud/storage';
import type { Config } from '../../src/config.js';
import { secretKeyId } from '../../src/persistence/secrets/aes-gcm-cipher.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { muteCredentialsWarning } from '../support/export-helpers.js';
import { type GcsEmulator, startGcsEmulator } from '../support/gcs-emulator.js';
import { bulkOrgs } from '../support/import-data.js';
import { reportRows, restJson, watchToEnd } from '../support/jobs.js';
import { allRowsAsText, runSql } from '../support/raw-rows.js';
import { fakeServiceAccount } from '../support/service-account.js';

const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);
const [ID_A, ID_B] = [secretKeyId(KEY_A), secretKeyId(KEY_B)];
const BUCKET = 'job-imports';
const ACCOUNT = fakeServiceAccount();
const CREDENTIALS = Buffer.from(JSON.stringify(ACCOUNT)).toString('base64');
const CLIENT_SECRET = `job-idp-secret-${randomBytes(12).toString('hex')}`;
/** What must never be readable: the base64 the caller sent, and the private key inside it. */
const PLAINTEXTS = [CREDENTIALS, ACCOUNT.private_key?.split('\n')[1] ?? 'unreachable', CLIENT_SECRET];

const GCS_REQUEST = { request: { timeout: '10m', dataOrgsGcs: { bucket: BUCKET, path: 'export.json', serviceaccountJson: CREDENTIALS } } };
const INLINE_ORG = {
  orgId: 'js-idp-org',
  org: { name: 'Job IdP org' },
  oidcIdps: [{ idpId: 'js-idp', idp: { name: 'Corp', clientId: 'corp', clientSecret: CLIENT_SECRET, issuer: 'https://issuer.example' } }],
};
const INLINE_REQUEST = { request: { timeout: '10m', dataOrgs: { orgs: [INLINE_ORG] } } };

const savedHost = process.env.STORAGE_EMULATOR_HOST;
let unmute: () => void;
let emulator: GcsEmulator;
let database: TestDatabase;
let home: string;

beforeAll(async () => {
  // google-auth-library warns on every `credentials` option, which src/blob/gcs.ts uses on purpose.
  unmute = muteCredentialsWarning();
  emulator = await startGcsEmulator();
  process.env.STORAGE_EMULATOR_HOST = emulator.url;
  const storage = new Storage({ projectId: 'demo-test' });
  await storage.createBucket(BUCKET);
  await storage
    .bucket(BUCKET)
    .file('export.json')
    .save(JSON.stringify({ orgs: bulkOrgs('js', 3, 4) }));
  database = await createTestDatabase({ onDisk: true });
  home = await mkdtemp(join(tmpdir(), 'idport-job-secrets-'));
});
afterAll(async () => {
  await database?.drop();
  await rm(home, { recursive: true, force: true });
  await emulator?.stop();
  if (savedHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
  else process.env.STORAGE_EMULATOR_HOST = savedHost;
  unmute?.();
});

const secrets = (key: Buffer, oldKeys: Buffer[] = []): Config['secrets'] => ({ key, oldKeys, keyFile: join(home, 'secrets.key') });

async function withApp<T>(s: Config['secrets'], work: (app: TestApp) => Promise<T>): Promise<T> {
  const app = await startTestApp({ database: database.config, adminTokenFile: join(home, 'admin.pat'), secrets: s });
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

/** Every job's stored request as plain SQL sees it, and the tables holding a plaintext. */
async function rawState() {
  const tables = await allRowsAsText(database.config);
  const inClear = [...tables].flatMap(([table, rows]) => rows.filter((r) => PLAINTEXTS.some((p) => r.includes(p))).map(() => table));
  const requests = (tables.get('job') ?? []).map((r) => (JSON.parse(r) as { request: JsonObject }).request);
  return { inClear, requests };
}

const sealedUnder = (id: string) => ({ sealed: expect.stringMatching(new RegExp(`^enc:v1:${id}:[A-Za-z0-9_-]+$`)) });
const ids: string[] = [];

test('a GCS job and an inline job run; no table holds their credentials; GetJob and ListJobs never show them', async () => {
  await withApp(secrets(KEY_A), async (app) => {
    for (const body of [GCS_REQUEST, INLINE_REQUEST]) {
      const started = await restJson(app.url, app.token, 'POST', '/idport/v1/jobs/import', body);
      expect(started.status).toBe(200);
      const id = String((started.json.job as JsonObject).id);
      ids.push(id);
      expect((await watchToEnd(app.url, app.token, id)).at(-1)).toMatchObject({ state: 'JOB_STATE_SUCCEEDED' });
    }
    expect((await reportRows(app.url, app.token, ids[0] as string)).rows).toHaveLength(3 * 5);
    const shown = [
      await restJson(app.url, app.token, 'GET', `/idport/v1/jobs/${ids[0]}`),
      await restJson(app.url, app.token, 'GET', `/idport/v1/jobs/${ids[1]}`),
      await restJson(app.url, app.token, 'GET', '/idport/v1/jobs'),
    ].map((r) => JSON.stringify(r.json));
    expect((JSON.parse(shown[2] as string) as { jobs: unknown[] }).jobs).toHaveLength(2);
    for (const text of shown) {
      for (const p of PLAINTEXTS) expect(text).not.toContain(p);
      expect(text).not.toMatch(/serviceaccount|clientSecret/i);
    }
  });
  expect(await rawState()).toEqual({ inClear: [], requests: [sealedUnder(ID_A), sealedUnder(ID_A)] });
});

test('a start re-seals a legacy clear request and one under a rotated-out key; the legacy job then runs from it', async () => {
  // The GCS job as an older idport left it: the request in clear, queued again from the start.
  await runSql(database.config, [
    [
      `update job set request = ?::jsonb, state = 'queued', steps_done = 0, finished_at = null, lease_owner = null where id = ?`,
      [JSON.stringify(GCS_REQUEST), ids[0]],
    ],
    ['delete from job_step where job_id = ?', [ids[0]]],
  ]);
  expect((await rawState()).inClear).toEqual(['job']);
  await withApp(secrets(KEY_B, [KEY_A]), async (app) => {
    expect((await watchToEnd(app.url, app.token, ids[0] as string)).at(-1)).toMatchObject({ state: 'JOB_STATE_SUCCEEDED' });
    // The run read the bucket again with the opened credentials: every row is already there.
    const { rows } = await reportRows(app.url, app.token, ids[0] as string);
    expect(rows).toHaveLength(3 * 5);
    expect(new Set(rows.map((r) => r.outcome))).toEqual(new Set(['OUTCOME_UNCHANGED']));
  });
  expect(await rawState()).toEqual({ inClear: [], requests: [sealedUnder(ID_B), sealedUnder(ID_B)] });
  // The new key alone reads them now.
  await withApp(secrets(KEY_B), async (app) => {
    expect((await restJson(app.url, app.token, 'GET', `/idport/v1/jobs/${ids[1]}`)).status).toBe(200);
  });
}, 120_000);
