/**
 * ExportData against a started app seeded through ImportData with test/fixtures/data-orgs.ts:
 * which orgs an export covers, which secrets it carries, and the exact JSON it writes.
 * Siblings: export-outputs (response/local/GCS), export-errors (codes on every protocol),
 * export-guide (the migration guide's curl commands).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonObject } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { BCRYPT_HASH, OTP_SECRET, seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { exportConnectRaw, exportRest, keysDeep, orgIn, orgsOf, postJson, seed } from '../support/export-helpers.js';
import { type Caller, createCaller, PROTOCOLS } from '../support/protocols.js';

const exportData = AdminService.method.exportData;
const GOLDEN_ORG_200 = fileURLToPath(new URL('../fixtures/golden/export-org-200.json', import.meta.url));
// Org 100 carries every resource kind (with a password and an OTP secret); org 200 is small.
const fixture = seededOrgs() as unknown as JsonObject[];
const [acme, globex] = fixture as [JsonObject, JsonObject];

let app: TestApp;
let defaultOrgId: string;

beforeAll(async () => {
  app = await startTestApp();
  await seed(app, fixture);
  const listed = await postJson(app, '/admin/v1/orgs/_search', {});
  const idport = ((listed.json.result ?? []) as JsonObject[]).find((o) => o.name === 'idport');
  defaultOrgId = String(idport?.id);
});

afterAll(async () => {
  await app?.close();
});

/**
 * The fixture org as an export without the secrets it was not asked for: password hashes and
 * IdP client secrets need with_passwords (ZITADEL exports client secrets always; README), OTP
 * seeds with_otp.
 */
function withoutSecrets(org: JsonObject, keep: { passwords: boolean; otp: boolean }): JsonObject {
  const copy = structuredClone(org);
  for (const human of (copy.humanUsers ?? []) as Array<{ user: JsonObject }>) {
    if (!keep.passwords) delete human.user.hashedPassword;
    if (!keep.otp) delete human.user.otpCode;
  }
  for (const idp of (copy.oidcIdps ?? []) as Array<{ idp: JsonObject }>) if (!keep.passwords) delete idp.idp.clientSecret;
  return copy;
}

const ids = (json: JsonObject) =>
  orgsOf(json)
    .map((o) => String(o.orgId))
    .sort();
const SECRET_CASES = [
  { passwords: true, otp: true },
  { passwords: false, otp: true },
  { passwords: true, otp: false },
  { passwords: false, otp: false },
];

describe.each(PROTOCOLS)('org filters and secrets over %s', (protocol) => {
  let caller: Caller;
  beforeAll(() => {
    caller = createCaller(protocol, app.url);
  });
  afterAll(() => caller.close());

  async function exportOk(request: JsonObject): Promise<JsonObject> {
    const result = await caller.call(exportData, { responseOutput: true, timeout: '1m', ...request }, { token: app.token });
    if (!result.ok) throw new Error(`expected success, got ${Code[result.code]}: ${result.message}`);
    return result.json;
  }

  test('org_ids exports exactly the listed org, as it was imported', async () => {
    const json = await exportOk({ orgIds: ['200'], withPasswords: true, withOtp: true });
    expect(json).toEqual({ orgs: [globex] });
  });

  test('excluded_org_ids leaves those orgs out of an export of all', async () => {
    const json = await exportOk({ excludedOrgIds: ['100'] });
    expect(ids(json)).toEqual(['200', defaultOrgId].sort());
  });

  test('org_ids and excluded_org_ids together: the exclusion wins', async () => {
    expect(ids(await exportOk({ orgIds: ['100', '200'], excludedOrgIds: ['200'] }))).toEqual(['100']);
    expect(await exportOk({ orgIds: ['100'], excludedOrgIds: ['100'] })).toEqual({});
  });

  test("no filter exports every org, the bootstrap org 'idport' included", async () => {
    const json = await exportOk({ orgIds: [], excludedOrgIds: [], withPasswords: true, withOtp: true });
    expect(ids(json)).toEqual(['100', '200', defaultOrgId].sort());
    expect(orgIn(json, '100')).toEqual(acme);
    expect(orgIn(json, '200')).toEqual(globex);
    expect(orgIn(json, defaultOrgId)).toMatchObject({
      orgId: defaultOrgId,
      org: { name: 'idport' },
      machineUsers: [expect.objectContaining({ user: expect.objectContaining({ userName: 'idport-admin' }) })],
      orgState: 'ORG_STATE_ACTIVE',
    });
  });

  test.each(SECRET_CASES)('with_passwords=$passwords, with_otp=$otp: secrets only when asked for', async (keep) => {
    const json = await exportOk({ orgIds: ['100', '200'], withPasswords: keep.passwords, withOtp: keep.otp });
    expect(orgsOf(json)).toEqual([withoutSecrets(acme, keep), withoutSecrets(globex, keep)]);
    const keys = keysDeep(json);
    expect({ hashedPassword: keys.has('hashedPassword'), otpCode: keys.has('otpCode'), clientSecret: keys.has('clientSecret') }).toEqual({
      hashedPassword: keep.passwords,
      otpCode: keep.otp,
      clientSecret: keep.passwords,
    });
  });
});

// The typed clients re-encode the response; these read the bytes the server sent.
describe.each([
  ['rest', exportRest],
  ['connect-json', exportConnectRaw],
] as const)('raw JSON text over %s', (_name, send) => {
  test.each(SECRET_CASES)('with_passwords=$passwords, with_otp=$otp', async (keep) => {
    const res = await send(app, { response_output: true, with_passwords: keep.passwords, with_otp: keep.otp });
    expect(res.status).toBe(200);
    const seen = {
      hashedPassword: res.text.includes('"hashedPassword"'),
      hash: res.text.includes(JSON.stringify(BCRYPT_HASH)),
      otpCode: res.text.includes('"otpCode"'),
      otpSecret: res.text.includes(OTP_SECRET),
      clientSecret: res.text.includes('"clientSecret"'),
      sealed: res.text.includes('enc:v1:'),
    };
    expect(seen).toEqual({
      hashedPassword: keep.passwords,
      hash: keep.passwords,
      otpCode: keep.otp,
      otpSecret: keep.otp,
      clientSecret: keep.passwords,
      sealed: false,
    });
    // Neither the proto field names nor any other spelling of them leak.
    expect(res.text).not.toMatch(/hashed_password|otp_code/);
  });
});

describe('golden JSON of one export', () => {
  /** Deep-equal, and the same key order (protojson writes fields by number). */
  function expectSameJson(actual: unknown, expected: unknown) {
    expect(actual).toEqual(expected);
    expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
  }

  test('org 200 with passwords, in the response and in a local file', async () => {
    const golden = JSON.parse(await readFile(GOLDEN_ORG_200, 'utf8')) as JsonObject;
    const body = {
      org_ids: ['200'],
      with_passwords: true,
      with_otp: true,
      response_output: true,
      local_output: { path: 'golden/org-200.json' },
    };

    const res = await exportRest(app, body);
    expect(res.status).toBe(200);
    expectSameJson(res.json, { orgs: [golden] });

    // The file comes from the exporter's own JSON writer, not from protobuf-es: the same JSON.
    // Its nested keys come in PostgreSQL jsonb order (shorter keys first), not by field number;
    // JSON readers (protojson included) ignore key order, so only the response pins it.
    const file = JSON.parse(await readFile(path.join(app.exportDir, 'golden/org-200.json'), 'utf8')) as JsonObject;
    expect(file).toEqual({ orgs: [golden] });
  });

  test('proto JSON encodings: camelCase, enum names, int64 as strings, bytes as base64, orgState', async () => {
    const res = await exportRest(app, {
      org_ids: ['100'],
      with_passwords: true,
      with_otp: true,
      response_output: true,
      local_output: { path: 'golden/org-100.json' },
    });
    expect(res.status).toBe(200);
    const file = JSON.parse(await readFile(path.join(app.exportDir, 'golden/org-100.json'), 'utf8')) as JsonObject;

    for (const json of [res.json, file]) {
      // biome-ignore lint/suspicious/noExplicitAny: reads deep into the exported JSON by name
      const org = orgIn(json, '100') as Record<string, any>;
      expect([...keysDeep(json)].filter((k) => !/^[a-z][A-Za-z0-9]*$/.test(k))).toEqual([]);
      expect(org.passwordComplexityPolicy.minLength).toBe('12'); // uint64
      expect(org.labelPolicy.themeMode).toBe('THEME_MODE_DARK');
      expect(org.humanUsers[0].user.profile.gender).toBe('GENDER_FEMALE');
      expect(org.humanUsers[1].state).toBe('USER_STATE_INACTIVE');
      expect(org.loginPolicy.passwordCheckLifetime).toBe('864000s'); // Duration
      expect(org.appKeys[0].expirationDate).toBe('2030-01-01T00:00:00Z'); // Timestamp
      expect(org.userMetadata[0].value).toBe(Buffer.from('research').toString('base64')); // bytes
      expect(org.machineKeys[0].publicKey).toMatch(/^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
      expect(Buffer.from(org.machineKeys[0].publicKey, 'base64').toString('utf8')).toContain('BEGIN PUBLIC KEY');
      expect(org.orgState).toBe('ORG_STATE_ACTIVE');
      expect(org).toEqual(acme);
    }
    expectSameJson(orgIn(res.json, '100'), acme);
  });
});
