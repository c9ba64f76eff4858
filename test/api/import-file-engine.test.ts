/**
 * Issue 10, file engine: an import file is read once and each org's lists item by item, so an
 * org has no size limit (IMPORT-org-size and IDPORT_MAX_IMPORT_ORG_BYTES are gone). One org
 * of 20,000 users, written as ZITADEL writes a DataOrg (members in proto order, `orgState`
 * last, domains after users although they are imported first), with org members the third
 * pass reads back from the file, imports whole from a local file and from a GCS object (our
 * emulator), in several batches per kind, and a second import finds everything unchanged. An
 * item that is JSON but not a valid message fails alone.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { JsonObject } from '@bufbuild/protobuf';
import { Storage } from '@google-cloud/storage';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { loadConfig } from '../../src/config.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { muteCredentialsWarning } from '../support/export-helpers.js';
import { type GcsEmulator, startGcsEmulator } from '../support/gcs-emulator.js';
import { errorsOf, expectOk, exportOrgs, successOf } from '../support/import-client.js';
import { humanUser } from '../support/import-data.js';
import { type Caller, createCaller } from '../support/protocols.js';
import { fakeServiceAccountBase64 } from '../support/service-account.js';

const USERS = 20_000;
const MEMBERS = 1_500;
const BUCKET = 'big-org';
const savedHost = process.env.STORAGE_EMULATOR_HOST;
let unmute: () => void;

let emulator: GcsEmulator;
let app: TestApp;
let caller: Caller;

/** Writes the org as a stream (never one string of the whole file), members in ZITADEL's order. */
async function writeBigOrg(path: string, orgId: string): Promise<void> {
  const out = createWriteStream(path);
  out.write(`{"orgs":[{"orgId":"${orgId}","org":{"name":"Big ${orgId}"},"humanUsers":[`);
  for (let i = 0; i < USERS; i++) {
    const user = humanUser(`${orgId}-u${i}`, `${orgId}-user-${i}`);
    if (!out.write(`${i ? ',' : ''}${JSON.stringify(user)}`)) await once(out, 'drain');
  }
  out.write('],"orgMembers":[');
  for (let i = 0; i < MEMBERS; i++) out.write(`${i ? ',' : ''}{"userId":"${orgId}-u${i}","roles":["ORG_USER_MANAGER"]}`);
  out.write(`],"domains":[{"domainName":"${orgId}.example.com","isVerified":true}],"orgState":"ORG_STATE_ACTIVE"}]}`);
  out.end();
  await finished(out);
}

beforeAll(async () => {
  // google-auth-library warns on every `credentials` option, which src/blob/gcs.ts uses on purpose.
  unmute = muteCredentialsWarning();
  emulator = await startGcsEmulator();
  process.env.STORAGE_EMULATOR_HOST = emulator.url;
  await new Storage({ projectId: 'demo-test' }).createBucket(BUCKET);
  app = await startTestApp();
  caller = createCaller('grpc', app.url);
}, 60_000);

afterAll(async () => {
  caller?.close();
  await app?.close();
  await emulator?.stop();
  if (savedHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
  else process.env.STORAGE_EMULATOR_HOST = savedHost;
  unmute?.();
});

test('IDPORT_MAX_IMPORT_ORG_BYTES no longer caps anything: the configuration has no org size limit', () => {
  const config = loadConfig({ IDPORT_MAX_IMPORT_ORG_BYTES: '1024' }) as unknown as Record<string, unknown>;
  expect(Object.keys(config).filter((k) => /org.*bytes/i.test(k))).toEqual([]);
});

function expectWhole(response: JsonObject, orgId: string, created: boolean): void {
  expect(errorsOf(response)).toEqual([]);
  if (created) {
    const success = successOf(response, orgId);
    expect(success.humanUserIds).toHaveLength(USERS);
    expect(success.orgMembers).toHaveLength(MEMBERS);
  }
}

describe.each(['local', 'gcs'] as const)('one org of 20,000 users from a %s file', (where) => {
  const orgId = `big-${where}`;
  const input = where === 'local' ? { dataOrgsLocal: { path: `${orgId}.json` } } : { dataOrgsGcs: gcsInput(`${orgId}.json`) };

  beforeAll(async () => {
    const path = join(app.importDir, `${orgId}.json`);
    await writeBigOrg(path, orgId);
    if (where === 'gcs') await new Storage({ projectId: 'demo-test' }).bucket(BUCKET).upload(path, { destination: `${orgId}.json` });
  }, 120_000);

  test('imports whole, then again unchanged', async () => {
    const first = expectOk(await caller.call(AdminService.method.importData, { ...input, timeout: '30m' }, { token: app.token }));
    expectWhole(first, orgId, true);
    const [exported] = await exportOrgs(caller, app.token, [orgId]);
    expect(exported?.humanUsers).toHaveLength(USERS);
    expect(exported?.orgMembers).toHaveLength(MEMBERS);
    expect(exported?.domains).toEqual([expect.objectContaining({ domainName: `${orgId}.example.com`, isVerified: true })]);
    expect(exported?.orgState).toBe('ORG_STATE_ACTIVE');
    // The file as written, user by user, is what comes back.
    const written = JSON.parse(await readFile(join(app.importDir, `${orgId}.json`), 'utf8')) as { orgs: JsonObject[] };
    const ids = (org: JsonObject | undefined) => ((org?.humanUsers ?? []) as JsonObject[]).map((u) => u.userId).sort();
    expect(ids(exported)).toEqual(ids(written.orgs[0]));

    const again = expectOk(await caller.call(AdminService.method.importData, { ...input, timeout: '30m' }, { token: app.token }));
    expectWhole(again, orgId, false);
  }, 600_000);
});

function gcsInput(path: string) {
  return { bucket: BUCKET, path, serviceaccountJson: fakeServiceAccountBase64() };
}

test('an item that is JSON but not a valid message fails alone, named by its id (IMPORT-item-decode)', async () => {
  const orgId = 'decode-one';
  const users = [
    humanUser('dec-u1', 'dec-user-1'),
    { ...humanUser('dec-bad', 'dec-user-bad'), state: 12.5 },
    humanUser('dec-u3', 'dec-user-3'),
  ];
  await writeFile(join(app.importDir, `${orgId}.json`), JSON.stringify({ orgs: [{ orgId, org: { name: 'Decode' }, humanUsers: users }] }));
  const response = expectOk(
    await caller.call(AdminService.method.importData, { dataOrgsLocal: { path: `${orgId}.json` }, timeout: '10m' }, { token: app.token }),
  );
  expect(errorsOf(response)).toEqual([{ type: 'human_user', id: 'dec-bad', message: expect.stringMatching(/IMPORT-item-decode/) }]);
  expect(successOf(response, orgId).humanUserIds).toEqual(['dec-u1', 'dec-u3']);
});
