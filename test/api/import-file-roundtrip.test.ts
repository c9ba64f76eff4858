/**
 * The migration guide's file and GCS form: instance A writes its export with `local_output` and
 * `gcs_output`, and an empty instance B reads it back with `data_orgsv1_local` /
 * `data_orgsv1_gcs` (the guide's v1 field names for a file that holds admin DataOrgs). The file's
 * shape is decided from its content, so nothing admin-only is lost: B's export must equal A's
 * for every resource kind, and a second import must report every resource UNCHANGED.
 *
 * The fixture adds an inactive org whose user has the same name as one in org 100: both orgs
 * scope user names by their domain policy, which a v1 reading would drop (and with it the user).
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import { MigrationService } from '../../gen/idport/v1/migration_pb.js';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { RESOURCE_KINDS } from '../../src/domain/resources/kinds.js';
import { BCRYPT_HASH, seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { useGcsEmulator } from '../support/export-helpers.js';
import { errorsOf, expectOk, exportOrgs, importOrgs } from '../support/import-client.js';
import { type Caller, createCaller } from '../support/protocols.js';
import { fakeServiceAccountBase64 } from '../support/service-account.js';

const BUCKET = 'roundtrip';
const credentials = fakeServiceAccountBase64();

/** An inactive org with its own domain policy and a user named like org 100's alice. */
const INACTIVE = {
  orgId: '300',
  org: { name: 'Initech' },
  domainPolicy: { userLoginMustBeDomain: true },
  humanUsers: [
    {
      userId: '320',
      user: {
        userName: 'alice',
        profile: { firstName: 'Alice', lastName: 'Other' },
        email: { email: 'alice@initech.example' },
        hashedPassword: { value: BCRYPT_HASH },
      },
      state: 'USER_STATE_ACTIVE',
    },
  ],
  orgState: 'ORG_STATE_INACTIVE',
};
const FIXTURE = [...seededOrgs(), INACTIVE] as unknown as JsonObject[];
const ORG_IDS = FIXTURE.map((o) => String(o.orgId));

let gcs: Awaited<ReturnType<typeof useGcsEmulator>>;
let a: TestApp;
let callerA: Caller;
let exportA: JsonObject[];

beforeAll(async () => {
  gcs = await useGcsEmulator();
  await gcs.sdk.createBucket(BUCKET);
  a = await startTestApp();
  callerA = createCaller('connect-json', a.url);
  expect(errorsOf(expectOk(await importOrgs(callerA, a.token, FIXTURE)))).toEqual([]);
  exportA = await exportOrgs(callerA, a.token, ORG_IDS);
  const written = await callerA.call(
    AdminService.method.exportData,
    {
      orgIds: ORG_IDS,
      withPasswords: true,
      withOtp: true,
      localOutput: { path: 'export.json' },
      gcsOutput: { bucket: BUCKET, path: 'exports/export.json', serviceaccountJson: credentials },
    },
    { token: a.token },
  );
  expectOk(written);
});

afterAll(async () => {
  callerA?.close();
  await a?.close();
  await gcs?.stop();
});

test('the export holds every resource kind, the inactive org and both alices', () => {
  expect(exportA).toEqual(FIXTURE);
  const fields = new Set(exportA.flatMap((org) => Object.keys(org)));
  expect(RESOURCE_KINDS.map((k) => k.field).filter((f) => !fields.has(f))).toEqual([]);
});

const SOURCES = {
  data_orgsv1_local: { dataOrgsv1Local: { path: 'export.json' } },
  data_orgs_local: { dataOrgsLocal: { path: 'export.json' } },
  data_orgsv1_gcs: { dataOrgsv1Gcs: { bucket: BUCKET, path: 'exports/export.json', serviceaccountJson: credentials } },
  data_orgs_gcs: { dataOrgsGcs: { bucket: BUCKET, path: 'exports/export.json', serviceaccountJson: credentials } },
} as const;

describe.each(Object.keys(SOURCES) as (keyof typeof SOURCES)[])('%s into an empty B', (source) => {
  let b: TestApp;
  let caller: Caller;

  beforeAll(async () => {
    b = await startTestApp();
    caller = createCaller('connect-json', b.url);
    await copyFile(join(a.exportDir, 'export.json'), join(b.importDir, 'export.json'));
  });

  afterAll(async () => {
    caller?.close();
    await b?.close();
  });

  test('B exports what A exported, and importing again reports every resource UNCHANGED', async () => {
    const request = { request: { ...SOURCES[source], timeout: '5m' } };
    const first = expectOk(await caller.call(MigrationService.method.importData, request, { token: b.token }));
    expect(errorsOf(first.response as JsonObject)).toEqual([]);
    expect(await exportOrgs(caller, b.token, ORG_IDS)).toEqual(exportA);

    const second = expectOk(await caller.call(MigrationService.method.importData, request, { token: b.token }));
    const outcomes = new Set(((second.results ?? []) as JsonObject[]).map((r) => r.outcome));
    expect({ errors: errorsOf(second.response as JsonObject), outcomes: [...outcomes] }).toEqual({
      errors: [],
      outcomes: ['OUTCOME_UNCHANGED'],
    });
    expect(((second.results ?? []) as JsonObject[]).length).toBe(((first.results ?? []) as JsonObject[]).length);
    expect(await exportOrgs(caller, b.token, ORG_IDS)).toEqual(exportA);
  });
});
