/**
 * The migration guide's export commands, verbatim, run with the real curl against a started app
 * seeded with every resource kind: the file (or GCS object) they produce must hold all of it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { JsonObject } from '@bufbuild/protobuf';
import type { Storage } from '@google-cloud/storage';
import { RESOURCE_KINDS } from '../../src/domain/resources/kinds.js';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { orgIn, orgsOf, postJson, seed, shellWords, useGcsEmulator } from '../support/export-helpers.js';
import { fakeServiceAccountBase64 } from '../support/service-account.js';

const run = promisify(execFile);

// As the guide prints them; $URL and $TOKEN are the reader's, <base64> their key file.
const GUIDE_EXPORT_TO_FILE = `curl --request POST --url $URL/admin/v1/export --header "Authorization: Bearer $TOKEN" --header 'Content-Type: application/json' --data '{"org_ids": [ ],"excluded_org_ids": [ ],"with_passwords": true,"with_otp": true,"timeout": "30s","response_output": true}' -o export.json`;
const GUIDE_EXPORT_TO_GCS = `curl --request POST --url $URL/admin/v1/export --header "Authorization: Bearer $TOKEN" --header 'Content-Type: application/json' --data '{"org_ids": [ ],"excluded_org_ids": [ ],"with_passwords": true,"with_otp": true,"timeout": "30s","gcs_output": {"path": "export.json","bucket": "caos-zitadel-exports","serviceaccount_json": "<base64>"}}'`;

const fixture = seededOrgs() as unknown as JsonObject[];
const [acme, globex] = fixture as [JsonObject, JsonObject];

let app: TestApp;
let sdk: Storage;
let workDir: string;
let defaultOrgId: string;
let gcsSetup: Awaited<ReturnType<typeof useGcsEmulator>>;

beforeAll(async () => {
  gcsSetup = await useGcsEmulator();
  ({ sdk } = gcsSetup);
  await sdk.createBucket('caos-zitadel-exports');
  app = await startTestApp();
  await seed(app, fixture);
  const listed = await postJson(app, '/admin/v1/orgs/_search', {});
  defaultOrgId = String(((listed.json.result ?? []) as JsonObject[]).find((o) => o.name === 'idport')?.id);
  workDir = await mkdtemp(path.join(tmpdir(), 'idport-guide-'));
});

afterAll(async () => {
  await app?.close();
  await gcsSetup?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function curl(command: string): Promise<string> {
  const [program, ...args] = shellWords(command, { URL: app.url, TOKEN: app.token });
  expect(program).toBe('curl');
  const { stdout } = await run('curl', args, { cwd: workDir, env: { ...process.env, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' } });
  return stdout;
}

/** What both commands must produce: every org, every resource kind, secrets included. */
function expectWholeExport(json: JsonObject) {
  expect(
    orgsOf(json)
      .map((o) => o.orgId)
      .sort(),
  ).toEqual(['100', '200', defaultOrgId].sort());
  const org100 = orgIn(json, '100') ?? {};
  expect(Object.keys(org100).sort()).toEqual(Object.keys(acme).sort());
  expect(org100).toEqual(acme);
  expect(orgIn(json, '200')).toEqual(globex);
}

test('the seeded fixture covers every resource kind (else the checks below prove less)', () => {
  const missing = RESOURCE_KINDS.map((k) => k.field).filter((field) => !(field in acme));
  expect(missing).toEqual([]);
});

test('export to a file: curl … "response_output": true … -o export.json', async () => {
  await curl(GUIDE_EXPORT_TO_FILE);
  const json = JSON.parse(await readFile(path.join(workDir, 'export.json'), 'utf8')) as JsonObject;
  expectWholeExport(json);
});

test('export to GCS: curl … "gcs_output": {…, "bucket": "caos-zitadel-exports", …}', async () => {
  const stdout = await curl(GUIDE_EXPORT_TO_GCS.replace('<base64>', fakeServiceAccountBase64()));
  expect(JSON.parse(stdout)).toEqual({});
  const [bytes] = await sdk.bucket('caos-zitadel-exports').file('export.json').download();
  expectWholeExport(JSON.parse(bytes.toString('utf8')) as JsonObject);
});
