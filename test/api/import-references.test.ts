/**
 * References stay inside their org unless ZITADEL's model lets them cross (issue 8): a machine
 * key, metadata or link must belong to a user of its own org, an app to its own org's project, a
 * link to an IdP of its org; members and user grants may name users of other orgs. And login
 * names stay unique when a domain policy is overwritten. Whole reports are compared.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { startTestApp, type TestApp } from '../support/app.js';
import { errorsOf, expectOk, exportOrgs, type ImportError, importHeaders, importOrgs } from '../support/import-client.js';
import { apiApp, dataOrg, humanUser, machineUser, project } from '../support/import-data.js';
import { type Caller, createCaller, PROTOCOLS } from '../support/protocols.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const failed = (type: string, id: string, errorId: string): ImportError => ({ type, id, message: expect.stringContaining(`(${errorId})`) });
const key = (e: ImportError) => `${e.type} ${e.id}`;
const sorted = (errors: ImportError[]) => [...errors].sort((x, y) => (key(x) < key(y) ? -1 : 1));

describe.each(PROTOCOLS)('over %s', (protocol) => {
  let caller: Caller;
  beforeAll(() => {
    caller = createCaller(protocol, app.url);
  });
  afterAll(() => caller.close());

  test('cross-org references fail where ZITADEL keeps them in the org, and pass where it lets them cross', async () => {
    const a = `xr-${protocol}-a`;
    const b = `xr-${protocol}-b`;
    const key64 = Buffer.from('-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n').toString('base64');
    const orgA = dataOrg(a, `XR A ${protocol}`, {
      humanUsers: [humanUser(`${a}-u`, `${a}-u`)],
      machineUsers: [machineUser(`${a}-m`, `${a}-m`)],
      projects: [project(`${a}-p`)],
      oidcIdps: [{ idpId: `${a}-idp`, idp: { name: 'SSO', issuer: 'https://sso.example', clientId: 'c' } }],
    });
    const orgB = dataOrg(b, `XR B ${protocol}`, {
      humanUsers: [humanUser(`${b}-u`, `${b}-u`)],
      machineKeys: [{ keyId: `${b}-k`, userId: `${a}-m`, type: 'KEY_TYPE_JSON', expirationDate: '2030-01-01T00:00:00Z', publicKey: key64 }],
      userMetadata: [{ id: `${a}-u`, key: 'dept', value: 'eA==' }],
      userLinks: [
        { userId: `${b}-u`, idpId: `${a}-idp`, providedUserId: 'ext-1', providedUserName: 'ext' },
        { userId: `${b}-u`, idpId: 'no-such-idp', providedUserId: 'ext-2', providedUserName: 'ext' },
      ],
      apiApps: [apiApp(`${b}-app`, `${a}-p`)],
      // Members and user grants may name users of other orgs.
      orgMembers: [{ userId: `${a}-u`, roles: ['ORG_OWNER'] }],
    });
    const report = expectOk(await importOrgs(caller, app.token, [orgA, orgB]));
    expect(sorted(errorsOf(report))).toEqual(
      sorted([
        failed('api_app', `${b}-app`, 'IMPORT-other-org'),
        failed('machine_user_key', `${b}-k`, 'IMPORT-other-org'),
        failed('user_link', `${b}-u_${a}-idp`, 'IMPORT-other-org'),
        failed('user_link', `${b}-u_no-such-idp`, 'IMPORT-reference'),
        failed('user_metadata', `${a}-u_dept`, 'IMPORT-other-org'),
      ]),
    );
    const [, exportedB] = await exportOrgs(caller, app.token, [a, b]);
    expect(exportedB?.orgMembers).toEqual([{ userId: `${a}-u`, roles: ['ORG_OWNER'] }]);
  });

  test('overwriting a domain policy cannot make two users share a login name', async () => {
    const a = `ln-${protocol}-a`;
    const b = `ln-${protocol}-b`;
    const scoped = { domainPolicy: { userLoginMustBeDomain: true } };
    const first = expectOk(
      await importOrgs(caller, app.token, [
        dataOrg(a, `LN A ${protocol}`, { ...scoped, humanUsers: [humanUser(`${a}-u`, `same-${protocol}`)] }),
        dataOrg(b, `LN B ${protocol}`, { humanUsers: [humanUser(`${b}-u`, `same-${protocol}`)] }),
      ]),
    );
    expect(errorsOf(first)).toEqual([]);
    // Org a's users would become instance-scoped, where org b already has that name.
    const overwrite = dataOrg(a, `LN A ${protocol}`, { domainPolicy: { userLoginMustBeDomain: false } });
    const second = expectOk(await importOrgs(caller, app.token, [overwrite], { headers: importHeaders({ conflictPolicy: 'overwrite' }) }));
    expect(errorsOf(second)).toEqual([failed('domain_policy', a, 'IMPORT-login-name')]);
    const [exportedA] = await exportOrgs(caller, app.token, [a]);
    expect(exportedA?.domainPolicy).toEqual({ userLoginMustBeDomain: true });

    // Without the clash, the overwrite goes through and the names move to the instance scope:
    // a new org's user with org a's name is then refused.
    const c = `ln-${protocol}-c`;
    const d = `ln-${protocol}-d`;
    expectOk(
      await importOrgs(caller, app.token, [
        dataOrg(c, `LN C ${protocol}`, { ...scoped, humanUsers: [humanUser(`${c}-u`, `own-${protocol}`)] }),
      ]),
    );
    const moved = expectOk(
      await importOrgs(caller, app.token, [dataOrg(c, `LN C ${protocol}`, { domainPolicy: {} })], {
        headers: importHeaders({ conflictPolicy: 'overwrite' }),
      }),
    );
    expect(errorsOf(moved)).toEqual([]);
    const clash = expectOk(
      await importOrgs(caller, app.token, [dataOrg(d, `LN D ${protocol}`, { humanUsers: [humanUser(`${d}-u`, `own-${protocol}`)] })]),
    );
    expect(errorsOf(clash)).toEqual([failed('human_user', `${d}-u`, 'IMPORT-unique')]);
    expect(((await exportOrgs(caller, app.token, [d]))[0] as JsonObject).humanUsers).toBeUndefined();
  });
});
