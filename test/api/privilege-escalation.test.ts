import { Code } from '@connectrpc/connect';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { ManagementService } from '../../gen/zitadel/management_pb.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createCallers, PROTOCOLS } from '../support/protocols.js';
import { defaultOrgId, makeRoleHolder, type RoleHolder } from '../support/roles.js';

/**
 * Issue 9, class 2 (escalation): an ORG_OWNER of the default org minted a PAT for the
 * bootstrap admin and deleted IAM_OWNERs, the last one included. Now acting on a user needs at
 * least that user's level, and the last IAM_OWNER stays. Every case on every protocol.
 */
let app: TestApp;
let callers: ReturnType<typeof createCallers>;
let adminId: string;
let home: string;
let orgOwner: RoleHolder;
let iamUserManager: RoleHolder;
let orgUserManager: RoleHolder;
let secondOrgOwner: RoleHolder;

const M = ManagementService.method;

beforeAll(async () => {
  app = await startTestApp();
  callers = createCallers(app.url);
  home = await defaultOrgId(app);
  orgOwner = await makeRoleHolder(app, { org: { roles: ['ORG_OWNER'], orgId: home } });
  iamUserManager = await makeRoleHolder(app, { iam: ['IAM_USER_MANAGER'] });
  orgUserManager = await makeRoleHolder(app, { org: { roles: ['ORG_USER_MANAGER'], orgId: home } });
  secondOrgOwner = await makeRoleHolder(app, { org: { roles: ['ORG_OWNER'], orgId: home } });
  adminId = await bootstrapAdminId();
});
afterAll(async () => {
  callers.close();
  await app.close();
});

/** The first start's admin (the only IAM_OWNER), found by its configured name in an export. */
async function bootstrapAdminId(): Promise<string> {
  const res = await fetch(`${app.url}/admin/v1/export`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ orgIds: [home], responseOutput: true }),
  });
  const body = (await res.json()) as { orgs: { machineUsers?: { userId: string; user: { userName: string } }[] }[] };
  const admin = body.orgs[0]?.machineUsers?.find((u) => u.user.userName === app.config.bootstrap.adminUserName);
  if (!admin) throw new Error('bootstrap admin not found in the export');
  return admin.userId;
}

describe.each(PROTOCOLS)('%s', (protocol) => {
  const call = (...args: Parameters<(typeof callers)['grpc']['call']>) => callers[protocol].call(...args);

  test('an ORG_OWNER cannot mint a PAT for the instance admin', async () => {
    const r = await call(M.addPersonalAccessToken, { userId: adminId }, { token: orgOwner.token, orgId: home });
    expect(r).toMatchObject({ ok: false, code: Code.PermissionDenied });
  });

  test('an ORG_OWNER cannot remove the instance admin (nor list or remove its tokens)', async () => {
    for (const [method, request] of [
      [M.removeUser, { id: adminId }],
      [M.listPersonalAccessTokens, { userId: adminId }],
      [M.removePersonalAccessToken, { userId: adminId, tokenId: 'any' }],
    ] as const) {
      const r = await call(method, { ...request }, { token: orgOwner.token, orgId: home });
      expect(r).toMatchObject({ ok: false, code: Code.PermissionDenied });
    }
  });

  test('an IAM_USER_MANAGER cannot mint a PAT for an IAM_OWNER', async () => {
    const r = await call(M.addPersonalAccessToken, { userId: adminId }, { token: iamUserManager.token, orgId: home });
    expect(r).toMatchObject({ ok: false, code: Code.PermissionDenied });
  });

  test('an ORG_USER_MANAGER cannot mint a PAT for (or remove) an ORG_OWNER of its org', async () => {
    const mint = await call(M.addPersonalAccessToken, { userId: orgOwner.userId }, { token: orgUserManager.token, orgId: home });
    expect(mint).toMatchObject({ ok: false, code: Code.PermissionDenied });
    const remove = await call(M.removeUser, { id: orgOwner.userId }, { token: orgUserManager.token, orgId: home });
    expect(remove).toMatchObject({ ok: false, code: Code.PermissionDenied });
  });

  test('an ORG_OWNER mints PATs for and removes the plain users of its org', async () => {
    const userName = `plain-${protocol}`;
    const added = await call(M.addMachineUser, { userName, name: 'plain' }, { token: orgOwner.token, orgId: home });
    if (!added.ok) throw new Error(`AddMachineUser failed: ${added.message}`);
    const userId = String(added.json.userId);
    expect(await call(M.addPersonalAccessToken, { userId }, { token: orgOwner.token, orgId: home })).toMatchObject({ ok: true });
    // Peers: one ORG_OWNER may mint for another (same powers).
    expect(await call(M.addPersonalAccessToken, { userId: secondOrgOwner.userId }, { token: orgOwner.token, orgId: home })).toMatchObject({
      ok: true,
    });
    expect(await call(M.removeUser, { id: userId }, { token: orgOwner.token, orgId: home })).toMatchObject({ ok: true });
  });

  test('the last IAM_OWNER can be neither removed nor demoted: FAILED_PRECONDITION', async () => {
    const remove = await call(M.removeUser, { id: adminId }, { token: app.token, orgId: home });
    expect(remove).toMatchObject({ ok: false, code: Code.FailedPrecondition });
    const demote = await call(AdminService.method.addIAMMember, { userId: adminId, roles: ['IAM_OWNER_VIEWER'] }, { token: app.token });
    expect(demote).toMatchObject({ ok: false, code: Code.FailedPrecondition });
  });
});

test('with a second IAM_OWNER, the first may be demoted', async () => {
  const second = await makeRoleHolder(app, { iam: ['IAM_OWNER'] });
  const demote = await callers.rest.call(
    AdminService.method.addIAMMember,
    { userId: adminId, roles: ['IAM_OWNER_VIEWER'] },
    { token: second.token },
  );
  expect(demote).toMatchObject({ ok: true });
  // Now the second is the last one.
  const remove = await callers.grpc.call(M.removeUser, { id: second.userId }, { token: second.token, orgId: home });
  expect(remove).toMatchObject({ ok: false, code: Code.FailedPrecondition });
});
