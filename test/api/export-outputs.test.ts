/**
 * Where ExportData writes: the response, a file under the export directory, a GCS object (the
 * emulator process, through the real SDK), or several at once. All of them must carry the same
 * export. Error codes per protocol are in export-errors.test.ts.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import type { Storage } from '@google-cloud/storage';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { exportRest, listFiles, orgsOf, seed, useGcsEmulator } from '../support/export-helpers.js';
import type { GcsEmulator } from '../support/gcs-emulator.js';
import { fakeServiceAccountBase64 } from '../support/service-account.js';

const BUCKET = 'idport-exports';
const credentials = fakeServiceAccountBase64();
const ALL = { with_passwords: true, with_otp: true, timeout: '1m' };

let app: TestApp;
let emulator: GcsEmulator;
let sdk: Storage;
let gcsSetup: Awaited<ReturnType<typeof useGcsEmulator>>;
/** What a response_output export of everything returns: the others must equal it. */
let reference: JsonObject;

beforeAll(async () => {
  gcsSetup = await useGcsEmulator();
  ({ emulator, sdk } = gcsSetup);
  app = await startTestApp();
  await seed(app, seededOrgs());
  const res = await exportRest(app, { ...ALL, response_output: true });
  expect(res.status).toBe(200);
  reference = res.json;
  expect(orgsOf(reference).length).toBe(3);
});

afterAll(async () => {
  await app?.close();
  await gcsSetup?.stop();
});

beforeEach(async () => {
  await emulator.reset();
  await sdk.createBucket(BUCKET);
});

const gcsOutput = (objectPath: string) => ({ bucket: BUCKET, path: objectPath, serviceaccount_json: credentials });

async function objectJson(objectPath: string): Promise<JsonObject> {
  const [bytes] = await sdk.bucket(BUCKET).file(objectPath).download();
  return JSON.parse(bytes.toString('utf8')) as JsonObject;
}

async function objectNames(): Promise<string[]> {
  const [files] = await sdk.bucket(BUCKET).getFiles();
  return files.map((f) => f.name).sort();
}

const readJson = async (relative: string) => JSON.parse(await readFile(path.join(app.exportDir, relative), 'utf8')) as JsonObject;

test('response_output only: the export is in the response, and nothing is written', async () => {
  const before = await listFiles(app.exportDir);
  const res = await exportRest(app, { ...ALL, response_output: true });
  expect(res.status).toBe(200);
  expect(res.json).toEqual(reference);
  expect(await listFiles(app.exportDir)).toEqual(before);
  expect(await objectNames()).toEqual([]);
});

test('local_output only: a file inside the export directory, equal to the response export', async () => {
  const res = await exportRest(app, { ...ALL, local_output: { path: 'local/export.json' } });
  expect(res.status).toBe(200);
  expect(res.json).toEqual({});
  expect(await readJson('local/export.json')).toEqual(reference);
  // Exports hold password hashes and OTP secrets: owner-only.
  expect((await stat(path.join(app.exportDir, 'local/export.json'))).mode & 0o777).toBe(0o600);
  expect(await objectNames()).toEqual([]);
});

test('local_output creates missing directories and replaces an earlier export at the same path', async () => {
  const target = 'deep/er/still/export.json';
  expect((await exportRest(app, { ...ALL, org_ids: ['200'], local_output: { path: target } })).status).toBe(200);
  expect(orgsOf(await readJson(target)).map((o) => o.orgId)).toEqual(['200']);
  expect((await exportRest(app, { ...ALL, local_output: { path: target } })).status).toBe(200);
  expect(await readJson(target)).toEqual(reference);
});

test('local_output paths that leave the export directory are refused, and nothing is written', async () => {
  // exportDir's parent is the app's temp root: "../x" would land there.
  const root = path.dirname(app.exportDir);
  const before = await listFiles(root);
  for (const escaping of ['../x', '/etc/passwd', 'a/../../x', '..']) {
    const res = await exportRest(app, { ...ALL, local_output: { path: escaping } });
    expect({ path: escaping, status: res.status, code: res.json.code }).toEqual({ path: escaping, status: 400, code: 3 });
  }
  expect(await listFiles(root)).toEqual(before);
});

test('gcs_output only: the object equals the response export', async () => {
  const res = await exportRest(app, { ...ALL, gcs_output: gcsOutput('exports/all.json') });
  expect(res.status).toBe(200);
  expect(res.json).toEqual({});
  expect(await objectNames()).toEqual(['exports/all.json']);
  expect(await objectJson('exports/all.json')).toEqual(reference);
  const [metadata] = await sdk.bucket(BUCKET).file('exports/all.json').getMetadata();
  expect(metadata.contentType).toBe('application/json');
});

test('several outputs at once: response, file and object carry the same export', async () => {
  const res = await exportRest(app, {
    ...ALL,
    org_ids: ['100'],
    response_output: true,
    local_output: { path: 'multi/export.json' },
    gcs_output: gcsOutput('multi/export.json'),
  });
  expect(res.status).toBe(200);
  expect(orgsOf(res.json).map((o) => o.orgId)).toEqual(['100']);
  expect(res.json).toEqual({ orgs: orgsOf(reference).filter((o) => o.orgId === '100') });
  expect(await readJson('multi/export.json')).toEqual(res.json);
  expect(await objectJson('multi/export.json')).toEqual(res.json);
});

test('an export too big for one flush reaches every output whole', async () => {
  // The exporter hands sinks 256 KiB chunks; 3000 users make several, so the chunking shows.
  const users = Array.from({ length: 3000 }, (_, i) => ({
    userId: `300u${i}`,
    user: { userName: `bulk-${i}`, profile: { firstName: 'Bulk', lastName: `${i}` }, email: { email: `bulk-${i}@bulk.example` } },
    state: 'USER_STATE_ACTIVE',
  }));
  await seed(app, [{ orgId: '300', org: { name: 'Bulk' }, humanUsers: users, orgState: 'ORG_STATE_ACTIVE' }]);
  const res = await exportRest(app, {
    ...ALL,
    org_ids: ['300'],
    response_output: true,
    local_output: { path: 'bulk/export.json' },
    gcs_output: gcsOutput('bulk/export.json'),
  });
  expect(res.status).toBe(200);
  expect(res.text.length).toBeGreaterThan(256 * 1024);
  expect(orgsOf(res.json)[0]?.humanUsers).toHaveLength(3000);
  expect(await readJson('bulk/export.json')).toEqual(res.json);
  expect(await objectJson('bulk/export.json')).toEqual(res.json);
});

test('no temp file is left in the export directory', async () => {
  const files = await listFiles(app.exportDir);
  expect(files.length).toBeGreaterThan(0);
  expect(files.filter((f) => path.basename(f).startsWith('.') || f.endsWith('.tmp'))).toEqual([]);
});
