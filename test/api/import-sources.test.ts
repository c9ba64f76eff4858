/**
 * Where ImportData reads from: inline admin and v1 DataOrgs, a file in the import directory,
 * a GCS object (our emulator), and what bad input does. Request-level failures are checked on
 * every protocol (STYLE.md habit 13); file contents are read server-side, so those are checked
 * once. Each protocol imports its own copies (ids and names carry a suffix).
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromJson, type JsonObject, toBinary } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { Storage } from '@google-cloud/storage';
import { AdminService, ImportDataRequestSchema } from '../../gen/zitadel/admin_pb.js';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { muteCredentialsWarning } from '../support/export-helpers.js';
import { type GcsEmulator, startGcsEmulator } from '../support/gcs-emulator.js';
import { errorsOf, expectCode, expectOk, exportOrgs, importOrgs, listOrgIds } from '../support/import-client.js';
import { action, bulkOrgs, dataOrg, humanUser } from '../support/import-data.js';
import { type Caller, createCaller, JSON_PROTOCOLS, PROTOCOLS, sendJsonText } from '../support/protocols.js';
import { fakeServiceAccountBase64 } from '../support/service-account.js';

const importData = AdminService.method.importData;
const BUCKET = 'imports';
const savedHost = process.env.STORAGE_EMULATOR_HOST;
const credentials = fakeServiceAccountBase64();

let emulator: GcsEmulator;
let app: TestApp;
let local: Caller;

let unmute: () => void;

beforeAll(async () => {
  // google-auth-library warns on every `credentials` option, which src/blob/gcs.ts uses on purpose.
  unmute = muteCredentialsWarning();
  emulator = await startGcsEmulator();
  process.env.STORAGE_EMULATOR_HOST = emulator.url;
  await new Storage({ projectId: 'demo-test' }).createBucket(BUCKET);
  app = await startTestApp();
  local = createCaller('connect-json', app.url);
  // A valid export next to the import directory, and a symlink to it from inside.
  await writeFile(join(app.importDir, '..', 'outside.json'), exportFile([]));
  await symlink(join(app.importDir, '..', 'outside.json'), join(app.importDir, 'link.json'));
});

afterAll(async () => {
  local?.close();
  await app?.close();
  await emulator?.stop();
  if (savedHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
  else process.env.STORAGE_EMULATOR_HOST = savedHost;
  unmute?.();
});

const exportFile = (orgs: readonly object[]) => JSON.stringify({ orgs });
const putObject = (path: string, text: string) => new Storage({ projectId: 'demo-test' }).bucket(BUCKET).file(path).save(text);
const gcsInput = (path: string) => ({ bucket: BUCKET, path, serviceaccountJson: credentials });

/**
 * A v1 DataOrg as old ZITADEL exports wrote it: iamPolicy instead of domainPolicy, login
 * factors and IdPs as separate lists, trigger types as enum names.
 */
function v1Org(s: string): JsonObject {
  return {
    orgId: `v1-${s}`,
    org: { name: `V1 org ${s}` },
    iamPolicy: { userLoginMustBeDomain: true },
    loginPolicy: { allowUsernamePassword: true, passwordlessType: 'PASSWORDLESS_TYPE_ALLOWED' },
    humanUsers: [humanUser(`v1-${s}-u`, `v1-user-${s}`)],
    triggerActions: [
      { flowType: 'FLOW_TYPE_EXTERNAL_AUTHENTICATION', triggerType: 'TRIGGER_TYPE_POST_AUTHENTICATION', actionIds: [`v1-${s}-a`] },
    ],
    actions: [action(`v1-${s}-a`)],
    oidcIdps: [{ idpId: `v1-${s}-idp`, idp: { name: 'SSO', issuer: 'https://sso.example', clientId: 'client' } }],
    secondFactors: [{ type: 'SECOND_FACTOR_TYPE_OTP' }, { type: 'SECOND_FACTOR_TYPE_U2F' }],
    multiFactors: [{ type: 'MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION' }],
    idps: [{ idpId: `v1-${s}-idp`, ownerType: 'IDP_OWNER_TYPE_ORG' }],
  };
}

/** What ExportData shows for v1Org(s): the admin shape, with the v1-only fields merged in. */
function v1OrgExported(s: string): JsonObject {
  const { iamPolicy: _i, secondFactors: _s, multiFactors: _m, idps: _d, ...same } = v1Org(s);
  return dataOrg(`v1-${s}`, `V1 org ${s}`, {
    ...same,
    domainPolicy: { userLoginMustBeDomain: true },
    loginPolicy: {
      allowUsernamePassword: true,
      passwordlessType: 'PASSWORDLESS_TYPE_ALLOWED',
      secondFactors: ['SECOND_FACTOR_TYPE_OTP', 'SECOND_FACTOR_TYPE_U2F'],
      multiFactors: ['MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION'],
      idps: [{ idpId: `v1-${s}-idp`, ownerType: 'IDP_OWNER_TYPE_ORG' }],
    },
    triggerActions: [{ flowType: '1', triggerType: '1', actionIds: [`v1-${s}-a`] }],
  });
}

/** Imports `request`, expects a clean report, and returns the export of `orgIds`. */
async function importAndExport(caller: Caller, request: JsonObject, orgIds: string[]): Promise<JsonObject[]> {
  const report = expectOk(await caller.call(importData, request, { token: app.token }));
  expect(errorsOf(report)).toEqual([]);
  return exportOrgs(caller, app.token, orgIds);
}

describe.each(PROTOCOLS)('over %s', (protocol) => {
  let caller: Caller;
  const call = (request: JsonObject) => caller.call(importData, request, { token: app.token });

  beforeAll(() => {
    caller = createCaller(protocol, app.url);
  });
  afterAll(() => caller.close());

  test('inline data_orgs (admin DataOrgs) are imported as given', async () => {
    const orgs = seededOrgs(`-${protocol}`);
    const exported = await importAndExport(
      caller,
      { dataOrgs: { orgs } },
      orgs.map((o) => o.orgId),
    );
    expect(exported).toEqual(orgs);
  });

  test('inline data_orgsv1: iamPolicy, login factors and IdPs and enum trigger types are normalised', async () => {
    const s = `inline-${protocol}`;
    expect(await importAndExport(caller, { dataOrgsv1: { orgs: [v1Org(s)] } }, [`v1-${s}`])).toEqual([v1OrgExported(s)]);
  });

  test('inline data_orgsv1 with enums as JSON numbers (valid proto3 JSON) is read as v1 too', async () => {
    const s = `numeric-${protocol}`;
    const org = { ...v1Org(s), triggerActions: [{ flowType: 1, triggerType: 1, actionIds: [`v1-${s}-a`] }] };
    expect(await importAndExport(caller, { dataOrgsv1: { orgs: [org] } }, [`v1-${s}`])).toEqual([v1OrgExported(s)]);
  });

  test('a local path that leaves the import directory (also by symlink) is INVALID_ARGUMENT', async () => {
    expectCode(await call({ dataOrgsLocal: { path: '../outside.json' } }), Code.InvalidArgument);
    expectCode(await call({ dataOrgsLocal: { path: 'link.json' } }), Code.InvalidArgument);
    expectCode(await call({ dataOrgsv1Local: { path: 'sub/../../outside.json' } }), Code.InvalidArgument);
    expectCode(await call({ dataOrgsLocal: { path: join(app.importDir, '..', 'outside.json') } }), Code.InvalidArgument);
  });

  test('a missing local file or GCS object is NOT_FOUND', async () => {
    expectCode(await call({ dataOrgsLocal: { path: 'no-such-file.json' } }), Code.NotFound);
    expectCode(await call({ dataOrgsv1Gcs: gcsInput('no/such/object.json') }), Code.NotFound);
  });

  test('S3 input on a server without IDPORT_S3_ENDPOINTS, and a request without data, are INVALID_ARGUMENT', async () => {
    const s3 = { bucket: 'b', path: 'export.json', endpoint: 'http://127.0.0.1:9', accessKeyId: 'id', secretAccessKey: 'secret' };
    expectCode(await call({ dataOrgsS3: s3 }), Code.InvalidArgument);
    expectCode(await call({ dataOrgsv1S3: s3 }), Code.InvalidArgument);
    expectCode(await call({}), Code.InvalidArgument);
  });
});

describe('files in the import directory', () => {
  test('data_orgs_local reads an admin export file', async () => {
    const orgs = seededOrgs('-local');
    await writeFile(join(app.importDir, 'admin.json'), exportFile(orgs));
    expect(
      await importAndExport(
        local,
        { dataOrgsLocal: { path: 'admin.json' } },
        orgs.map((o) => o.orgId),
      ),
    ).toEqual(orgs);
  });

  test('data_orgsv1_local reads a v1 export file, in a subdirectory', async () => {
    await mkdir(join(app.importDir, 'old'));
    await writeFile(join(app.importDir, 'old', 'v1.json'), exportFile([v1Org('local')]));
    expect(await importAndExport(local, { dataOrgsv1Local: { path: 'old/v1.json' } }, ['v1-local'])).toEqual([v1OrgExported('local')]);
  });
});

describe('GCS objects', () => {
  test('data_orgs_gcs reads an admin export object', async () => {
    const orgs = seededOrgs('-gcs');
    await putObject('exports/admin.json', exportFile(orgs));
    expect(
      await importAndExport(
        local,
        { dataOrgsGcs: gcsInput('exports/admin.json') },
        orgs.map((o) => o.orgId),
      ),
    ).toEqual(orgs);
  });

  test('data_orgsv1_gcs reads a v1 export object', async () => {
    await putObject('exports/v1.json', exportFile([v1Org('gcs')]));
    expect(await importAndExport(local, { dataOrgsv1Gcs: gcsInput('exports/v1.json') }, ['v1-gcs'])).toEqual([v1OrgExported('gcs')]);
  });
});

describe('malformed or oversized input is refused and writes nothing', () => {
  /** An instance of its own with a small request limit, so "nothing written" is easy to see. */
  let small: TestApp;
  let caller: Caller;
  /** Only the default org: every test checks it is still alone. */
  let initialOrgs: string[];
  const LIMIT = 32 * 1024;

  beforeAll(async () => {
    small = await startTestApp({ maxRequestBytes: LIMIT });
    caller = createCaller('connect-json', small.url);
    initialOrgs = await listOrgIds(caller, small.token);
  });
  const expectNothingWritten = async () => expect(await listOrgIds(caller, small.token)).toEqual(initialOrgs);
  afterAll(async () => {
    caller?.close();
    await small?.close();
  });

  test('the first half of a real export file is INVALID_ARGUMENT, as admin and as v1', async () => {
    const orgs = bulkOrgs('half', 4, 5);
    expect(errorsOf(expectOk(await importOrgs(local, app.token, orgs)))).toEqual([]);
    const request = { orgIds: orgs.map((o) => o.orgId), withPasswords: true, responseOutput: false, localOutput: { path: 'four.json' } };
    expectOk(await local.call(AdminService.method.exportData, request, { token: app.token }));
    const text = await readFile(join(app.exportDir, 'four.json'), 'utf8');
    const half = text.slice(0, Math.floor(text.length / 2));
    // The cut falls after a whole org: a reader that imports org by org could write it.
    expect(half).toContain('"orgId":"half-o0001"');
    await writeFile(join(small.importDir, 'half.json'), half);

    expectCode(await caller.call(importData, { dataOrgsLocal: { path: 'half.json' } }, { token: small.token }), Code.InvalidArgument);
    expectCode(await caller.call(importData, { dataOrgsv1Local: { path: 'half.json' } }, { token: small.token }), Code.InvalidArgument);
    await expectNothingWritten();
  });

  test.each([
    ['not JSON at all', 'this is not an export'],
    ['a JSON array', '[{"orgId":"bad-1","org":{"name":"Bad 1"}}]'],
    ['an object without orgs', '{"organisations":[]}'],
    ['garbage between orgs', '{"orgs":[{"orgId":"bad-2","org":{"name":"Bad 2"}} oops {"orgId":"bad-3","org":{"name":"Bad 3"}}]}'],
    ['a doubled comma', '{"orgs":[{"orgId":"bad-4","org":{"name":"Bad 4"}},,{"orgId":"bad-5","org":{"name":"Bad 5"}}]}'],
    ['a broken org', '{"orgs":[{"orgId":"bad-6","org":{"name":"Bad 6"}},{"orgId":"bad-7","org":{"name":}}]}'],
  ])('an import file that is %s is INVALID_ARGUMENT', async (name, content) => {
    const path = `${name.replace(/\W+/g, '-')}.json`;
    await writeFile(join(small.importDir, path), content);
    expectCode(await caller.call(importData, { dataOrgsLocal: { path } }, { token: small.token }), Code.InvalidArgument);
    await expectNothingWritten();
  });

  test.each(JSON_PROTOCOLS)('inline malformed JSON over %s is INVALID_ARGUMENT (HTTP 400)', async (protocol) => {
    const truncated = '{"dataOrgs":{"orgs":[{"orgId":"inline-1","org":{"name":"Inline 1"}}';
    expectCode(await sendJsonText(protocol, small.url, importData, truncated, { token: small.token }), Code.InvalidArgument, 400);
    await expectNothingWritten();
  });

  test.each(PROTOCOLS)('a request body over maxRequestBytes over %s is RESOURCE_EXHAUSTED (REST: 413)', async (protocol) => {
    const orgs = bulkOrgs(`big-${protocol}`, 1, 1000);
    const request = fromJson(ImportDataRequestSchema, { dataOrgs: { orgs } });
    expect(toBinary(ImportDataRequestSchema, request).length).toBeGreaterThan(LIMIT);
    const big = createCaller(protocol, small.url);
    try {
      expectCode(await importOrgs(big, small.token, orgs), Code.ResourceExhausted, 413);
    } finally {
      big.close();
    }
    await expectNothingWritten();
  });
});
