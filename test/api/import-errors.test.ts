/**
 * Per-resource errors of ImportData: each bad resource is reported as ImportDataError with
 * ZITADEL's `type` and (composite) `id`, its dependents as skipped naming the dependency, and
 * everything else in the org is still imported. Messages are matched on their stable error id
 * only. One app for the file; every test uses its own ids and names.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import bcrypt from 'bcryptjs';
import { startTestApp, type TestApp } from '../support/app.js';
import { errorsOf, expectOk, exportOrgs, type ImportError, importOrgs, successOf } from '../support/import-client.js';
import { action, apiApp, type DataOrg, dataOrg, humanUser, project, projectGrant, projectRole } from '../support/import-data.js';
import { type Caller, createCaller } from '../support/protocols.js';

let app: TestApp;
let caller: Caller;

beforeAll(async () => {
  app = await startTestApp();
  caller = createCaller('grpc', app.url);
});

afterAll(async () => {
  caller?.close();
  await app?.close();
});

/** Imports `orgs` and returns the report's errors, sorted by type and id. */
async function importErrors(orgs: DataOrg[]): Promise<ImportError[]> {
  const report = expectOk(await importOrgs(caller, app.token, orgs));
  const key = (e: ImportError) => [e.type, e.id].join('\u0000');
  return errorsOf(report).sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}

const exported = async (orgId: string): Promise<JsonObject> => (await exportOrgs(caller, app.token, [orgId]))[0] as JsonObject;
const ids = (list: unknown, key: string) => ((list ?? []) as JsonObject[]).map((x) => x[key]);
const failed = (type: string, id: string, errorId: string): ImportError => ({ type, id, message: expect.stringContaining(`(${errorId})`) });
/** A skip names the resource it waited for. */
const skipped = (type: string, id: string, dependency: string): ImportError => ({
  type,
  id,
  message: expect.stringMatching(new RegExp(`^skipped: .*\\b${dependency}\\b`)),
});

// Changed by issue 8: md5-crypt is accepted now (ZITADEL verifies it); a SHA-1 hex digest is not.
const SHA1_HEX = '5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8';
const BCRYPT_COST_17 = '$2b$17$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';
const OTP_NOT_BASE32 = 'NOT-BASE32-1890';

describe('human users are validated one by one', () => {
  test.each([
    ['invalid email', { email: { email: 'not-an-email' } }, 'USER-email-invalid'],
    ['bad phone', { phone: { phone: '+41 79 abc 45 67' } }, 'USER-phone-invalid'],
    ['SHA-1 hex digest as hash', { hashedPassword: { value: SHA1_HEX } }, 'HASH-unsupported'],
    ['text that is not a hash', { hashedPassword: { value: 'hunter2-in-the-clear' } }, 'HASH-unsupported'],
    ['bcrypt cost beyond the bound', { hashedPassword: { value: BCRYPT_COST_17 } }, 'HASH-cost'],
    ['OTP secret that is not base32', { otpCode: OTP_NOT_BASE32 }, 'OTP-invalid'],
    [
      'password and hashedPassword both',
      { password: 'Secret-123!', hashedPassword: { value: '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy' } },
      'USER-password-both',
    ],
    ['no last name', { profile: { firstName: 'Only' } }, 'IMPORT-required'],
    ['no user name', { userName: '' }, 'IMPORT-required'],
  ])('%s: that user fails, its membership is skipped, the rest imports', async (name, user, errorId) => {
    const p = `hu-${name.replace(/\W+/g, '-')}`;
    const org = dataOrg(p, `Org ${p}`, {
      humanUsers: [humanUser(`${p}-good`, `${p}-good`), humanUser(`${p}-bad`, `${p}-bad`, user)],
      orgMembers: [
        { userId: `${p}-good`, roles: ['ORG_OWNER'] },
        { userId: `${p}-bad`, roles: ['ORG_USER_MANAGER'] },
      ],
    });
    const errors = await importErrors([org]);
    expect(errors).toEqual([failed('human_user', `${p}-bad`, errorId), skipped('org_member', `${p}_${p}-bad`, `${p}-bad`)]);
    // Secrets are never echoed back.
    for (const secret of [SHA1_HEX, 'hunter2-in-the-clear', BCRYPT_COST_17, OTP_NOT_BASE32, 'Secret-123!'])
      expect(JSON.stringify(errors)).not.toContain(secret);

    const after = await exported(p);
    expect(after.humanUsers).toEqual([humanUser(`${p}-good`, `${p}-good`)]);
    expect(after.orgMembers).toEqual([{ userId: `${p}-good`, roles: ['ORG_OWNER'] }]);
  });
});

test('the same id twice in one import: the first is imported, the second fails', async () => {
  const org = dataOrg('dup', 'Org dup', { humanUsers: [humanUser('dup-u', 'dup-first'), humanUser('dup-u', 'dup-second')] });
  expect(await importErrors([org])).toEqual([failed('human_user', 'dup-u', 'IMPORT-duplicate')]);
  expect((await exported('dup')).humanUsers).toEqual([humanUser('dup-u', 'dup-first')]);
});

describe('user names', () => {
  test('are unique in the instance: the second org’s user with a taken name fails', async () => {
    const errors = await importErrors([
      dataOrg('un-a', 'Org un-a', { humanUsers: [humanUser('un-a-u', 'shared-name')] }),
      dataOrg('un-b', 'Org un-b', { humanUsers: [humanUser('un-b-u', 'shared-name'), humanUser('un-b-v', 'un-b-own')] }),
    ]);
    expect(errors).toEqual([failed('human_user', 'un-b-u', 'IMPORT-unique')]);
    expect(ids((await exported('un-b')).humanUsers, 'userId')).toEqual(['un-b-v']);
  });

  test('are unique per org when both orgs’ domain policy says userLoginMustBeDomain', async () => {
    const policy = { domainPolicy: { userLoginMustBeDomain: true } };
    const errors = await importErrors([
      dataOrg('ud-a', 'Org ud-a', { ...policy, humanUsers: [humanUser('ud-a-u', 'same-name')] }),
      dataOrg('ud-b', 'Org ud-b', { ...policy, humanUsers: [humanUser('ud-b-u', 'same-name')] }),
    ]);
    expect(errors).toEqual([]);
    expect(ids((await exported('ud-a')).humanUsers, 'userId')).toEqual(['ud-a-u']);
    expect(ids((await exported('ud-b')).humanUsers, 'userId')).toEqual(['ud-b-u']);
  });
});

describe('references', () => {
  test('a role of an unknown project fails with "does not exist"; the project’s own roles import', async () => {
    const org = dataOrg('rr', 'Org rr', {
      projects: [project('rr-p')],
      projectRoles: [projectRole('rr-p', 'ok'), projectRole('rr-nope', 'admin')],
    });
    const errors = await importErrors([org]);
    expect(errors).toEqual([failed('project_role', 'rr-nope_admin', 'IMPORT-reference')]);
    expect(errors[0]?.message).toContain('does not exist');
    expect((await exported('rr')).projectRoles).toEqual([projectRole('rr-p', 'ok')]);
  });

  test('everything that needs a failed project is skipped, naming the project', async () => {
    const org = dataOrg('fp', 'Org fp', {
      projects: [{ projectId: 'fp-p', project: { name: '' } }, project('fp-q')],
      projectRoles: [projectRole('fp-p', 'admin'), projectRole('fp-q', 'admin')],
      apiApps: [apiApp('fp-app', 'fp-p')],
      oidcApps: [{ appId: 'fp-web', app: { projectId: 'fp-p', name: 'web', redirectUris: ['https://fp.example/cb'] } }],
      appKeys: [{ id: 'fp-key', projectId: 'fp-p', appId: 'fp-app', type: 'KEY_TYPE_JSON', expirationDate: '2030-01-01T00:00:00Z' }],
      humanUsers: [humanUser('fp-u', 'fp-user')],
      projectGrants: [projectGrant('fp-g', 'fp-p', 'fp-other')],
      userGrants: [
        { userId: 'fp-u', projectId: 'fp-p' },
        { userId: 'fp-u', projectId: 'fp-q', roleKeys: ['admin'] },
      ],
      projectMembers: [{ projectId: 'fp-p', userId: 'fp-u', roles: ['PROJECT_OWNER'] }],
      projectGrantMembers: [{ projectId: 'fp-p', grantId: 'fp-g', userId: 'fp-u', roles: ['PROJECT_GRANT_OWNER'] }],
    });
    const errors = await importErrors([org, dataOrg('fp-other', 'Org fp-other')]);
    expect(errors).toEqual([
      skipped('api_app', 'fp-app', 'fp-p'),
      skipped('app_key', 'fp-key', 'fp-app'),
      skipped('oidc_app', 'fp-web', 'fp-p'),
      failed('project', 'fp-p', 'IMPORT-required'),
      skipped('project_grant', 'fp_fp-p_fp-other', 'fp-p'),
      skipped('project_grant_member', 'fp_fp-p_fp-g_fp-u', 'fp-g'),
      skipped('project_member', 'fp_fp-p_fp-u', 'fp-p'),
      skipped('project_role', 'fp-p_admin', 'fp-p'),
      skipped('user_grant', 'fp_fp-p_fp-u', 'fp-p'),
    ]);
    const after = await exported('fp');
    expect(ids(after.projects, 'projectId')).toEqual(['fp-q']);
    expect(after.projectRoles).toEqual([projectRole('fp-q', 'admin')]);
    expect(after.userGrants).toEqual([{ userId: 'fp-u', projectId: 'fp-q', roleKeys: ['admin'] }]);
    expect(ids(after.humanUsers, 'userId')).toEqual(['fp-u']);
  });

  test('a user grant with an unknown role key fails; one with known roles imports', async () => {
    const org = dataOrg('ug', 'Org ug', {
      projects: [project('ug-p')],
      projectRoles: [projectRole('ug-p', 'reader')],
      humanUsers: [humanUser('ug-u', 'ug-user'), humanUser('ug-v', 'ug-other')],
      userGrants: [
        { userId: 'ug-u', projectId: 'ug-p', roleKeys: ['reader', 'no-such-role'] },
        { userId: 'ug-v', projectId: 'ug-p', roleKeys: ['reader'] },
      ],
    });
    const errors = await importErrors([org]);
    expect(errors).toEqual([failed('user_grant', 'ug_ug-p_ug-u', 'IMPORT-reference')]);
    expect(errors[0]?.message).toContain('no-such-role');
    expect((await exported('ug')).userGrants).toEqual([{ userId: 'ug-v', projectId: 'ug-p', roleKeys: ['reader'] }]);
  });

  test('a project grant to an unknown org fails, and its members are skipped', async () => {
    const org = dataOrg('pg', 'Org pg', {
      projects: [project('pg-p')],
      humanUsers: [humanUser('pg-u', 'pg-user')],
      projectGrants: [projectGrant('pg-g', 'pg-p', 'pg-nowhere')],
      projectGrantMembers: [{ projectId: 'pg-p', grantId: 'pg-g', userId: 'pg-u', roles: ['PROJECT_GRANT_OWNER'] }],
      projectMembers: [{ projectId: 'pg-p', userId: 'pg-u', roles: ['PROJECT_OWNER'] }],
    });
    const errors = await importErrors([org]);
    expect(errors).toEqual([
      failed('project_grant', 'pg_pg-p_pg-nowhere', 'IMPORT-reference'),
      skipped('project_grant_member', 'pg_pg-p_pg-g_pg-u', 'pg-g'),
    ]);
    expect(errors[0]?.message).toContain('does not exist');
    expect((await exported('pg')).projectMembers).toEqual([{ projectId: 'pg-p', userId: 'pg-u', roles: ['PROJECT_OWNER'] }]);
  });

  test('a trigger action naming an unknown action fails; the action itself imports', async () => {
    const org = dataOrg('ta', 'Org ta', {
      actions: [action('ta-a')],
      triggerActions: [
        { flowType: '1', triggerType: '1', actionIds: ['ta-a'] },
        { flowType: '1', triggerType: '2', actionIds: ['ta-a', 'ta-missing'] },
      ],
    });
    const errors = await importErrors([org]);
    expect(errors).toEqual([failed('trigger_action', '1_2', 'IMPORT-reference')]);
    expect(errors[0]?.message).toContain('ta-missing');
    const after = await exported('ta');
    expect(after.actions).toEqual([action('ta-a')]);
    expect(after.triggerActions).toEqual([{ flowType: '1', triggerType: '1', actionIds: ['ta-a'] }]);
  });

  test('metadata and a membership of an unknown user fail with composite ids', async () => {
    const value = Buffer.from('x').toString('base64');
    const org = dataOrg('md', 'Org md', {
      humanUsers: [humanUser('md-u', 'md-user')],
      userMetadata: [
        { id: 'md-u', key: 'team', value },
        { id: 'md-ghost', key: 'team', value },
      ],
      orgMembers: [{ userId: 'md-ghost', roles: ['ORG_OWNER'] }],
    });
    expect(await importErrors([org])).toEqual([
      failed('org_member', 'md_md-ghost', 'IMPORT-reference'),
      failed('user_metadata', 'md-ghost_team', 'IMPORT-reference'),
    ]);
    expect((await exported('md')).userMetadata).toEqual([{ id: 'md-u', key: 'team', value }]);
  });
});

describe('a plaintext password', () => {
  const PLAIN = 'Correct horse battery staple 1!';

  test('is stored as a bcrypt hash, never as given, and re-importing it changes nothing', async () => {
    const org = dataOrg('pw', 'Org pw', { humanUsers: [humanUser('pw-u', 'pw-user', { password: PLAIN })] });
    const first = expectOk(await importOrgs(caller, app.token, [org]));
    expect(errorsOf(first)).toEqual([]);
    expect(successOf(first, 'pw').humanUserIds).toEqual(['pw-u']);

    const stored = await exported('pw');
    expect(JSON.stringify(stored)).not.toContain(PLAIN);
    const user = (stored.humanUsers as JsonObject[])[0]?.user as JsonObject;
    expect(user.password).toBeUndefined();
    const hash = String((user.hashedPassword as JsonObject).value);
    expect(hash).toMatch(/^\$2[aby]\$/);
    expect(bcrypt.compareSync(PLAIN, hash)).toBe(true);

    // Same plaintext: recognised as unchanged (not rehashed); another one is a conflict.
    expect(errorsOf(expectOk(await importOrgs(caller, app.token, [org])))).toEqual([]);
    expect(await exported('pw')).toEqual(stored);
    const changed = dataOrg('pw', 'Org pw', { humanUsers: [humanUser('pw-u', 'pw-user', { password: `${PLAIN}?` })] });
    expect(await importErrors([changed])).toEqual([failed('human_user', 'pw-u', 'IMPORT-conflict')]);
    expect(await exported('pw')).toEqual(stored);
  });
});
