import type { DescMethod, JsonObject } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { MigrationService } from '../../gen/idport/v1/migration_pb.js';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { ManagementService } from '../../gen/zitadel/management_pb.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { type CallResult, createCallers, PROTOCOLS } from '../support/protocols.js';
import { makeRoleHolder, type RoleHolder } from '../support/roles.js';

/**
 * Issue 9, class 2: every role against every unary RPC, over every protocol. A permitted call
 * aims at something that does not exist, so it answers NOT_FOUND / INVALID_ARGUMENT / OK and
 * nothing changes; a refused one answers PERMISSION_DENIED. Roles and their grants are
 * ZITADEL's defaults (IAM_* on the whole instance, ORG_* in their own org only).
 */
const ROLES = ['IAM_OWNER', 'IAM_OWNER_VIEWER', 'IAM_USER_MANAGER', 'ORG_OWNER', 'ORG_OWNER_VIEWER', 'ORG_USER_MANAGER'] as const;
type Role = (typeof ROLES)[number];

interface Probe {
  name: string;
  method: DescMethod;
  request: JsonObject;
  /** Management calls act in the holder's org (x-zitadel-orgid). */
  orgScoped: boolean;
}
const probes: Probe[] = [
  { name: 'ListOrgs', method: AdminService.method.listOrgs, request: {}, orgScoped: false },
  {
    name: 'ExportData',
    method: AdminService.method.exportData,
    request: { orgIds: ['no-such-org'], responseOutput: true },
    orgScoped: false,
  },
  { name: 'ImportData', method: AdminService.method.importData, request: { dataOrgs: { orgs: [] }, timeout: '1m' }, orgScoped: false },
  {
    name: 'AddIAMMember',
    method: AdminService.method.addIAMMember,
    request: { userId: 'no-such-user', roles: ['IAM_OWNER_VIEWER'] },
    orgScoped: false,
  },
  {
    name: 'MigrationService/ImportData',
    method: MigrationService.method.importData,
    request: { request: { dataOrgs: { orgs: [] } } },
    orgScoped: false,
  },
  { name: 'AddMachineUser', method: ManagementService.method.addMachineUser, request: { userName: '', name: 'x' }, orgScoped: true },
  { name: 'RemoveUser', method: ManagementService.method.removeUser, request: { id: 'no-such-user' }, orgScoped: true },
  {
    name: 'ListPersonalAccessTokens',
    method: ManagementService.method.listPersonalAccessTokens,
    request: { userId: 'no-such-user' },
    orgScoped: true,
  },
  {
    name: 'AddPersonalAccessToken',
    method: ManagementService.method.addPersonalAccessToken,
    request: { userId: 'no-such-user' },
    orgScoped: true,
  },
  {
    name: 'RemovePersonalAccessToken',
    method: ManagementService.method.removePersonalAccessToken,
    request: { userId: 'no-such-user', tokenId: 'no-such-token' },
    orgScoped: true,
  },
];

/** What each role may call (ZITADEL's default role grants). */
const ALLOWED: Record<Role, readonly string[]> = {
  IAM_OWNER: probes.map((p) => p.name),
  IAM_OWNER_VIEWER: ['ListOrgs', 'ExportData', 'ListPersonalAccessTokens'],
  IAM_USER_MANAGER: ['AddMachineUser', 'RemoveUser', 'ListPersonalAccessTokens', 'AddPersonalAccessToken', 'RemovePersonalAccessToken'],
  ORG_OWNER: ['AddMachineUser', 'RemoveUser', 'ListPersonalAccessTokens', 'AddPersonalAccessToken', 'RemovePersonalAccessToken'],
  ORG_OWNER_VIEWER: ['ListPersonalAccessTokens'],
  ORG_USER_MANAGER: ['AddMachineUser', 'RemoveUser', 'ListPersonalAccessTokens', 'AddPersonalAccessToken', 'RemovePersonalAccessToken'],
};

let app: TestApp;
let callers: ReturnType<typeof createCallers>;
const holders = {} as Record<Role, RoleHolder>;
let otherOrg: RoleHolder;

beforeAll(async () => {
  app = await startTestApp();
  callers = createCallers(app.url);
  for (const role of ROLES) {
    holders[role] = role.startsWith('IAM_')
      ? await makeRoleHolder(app, { iam: [role] })
      : await makeRoleHolder(app, { org: { roles: [role] } });
  }
  otherOrg = await makeRoleHolder(app, { org: { roles: ['ORG_OWNER'] } });
});
afterAll(async () => {
  callers.close();
  await app.close();
});

const refused = (r: CallResult) => !r.ok && (r.code === Code.PermissionDenied || r.code === Code.Unauthenticated);

const matrix = PROTOCOLS.flatMap((protocol) => ROLES.flatMap((role) => probes.map((probe) => ({ protocol, role, probe }))));

test.each(matrix)('$protocol: $role → $probe.name', async ({ protocol, role, probe }) => {
  const holder = holders[role];
  const result = await callers[protocol].call(probe.method, structuredClone(probe.request), {
    token: holder.token,
    ...(probe.orgScoped ? { orgId: holder.orgId } : {}),
  });
  const allowed = ALLOWED[role].includes(probe.name);
  if (allowed) expect(refused(result) ? result : 'permitted').toBe('permitted');
  else expect(result).toMatchObject({ ok: false, code: Code.PermissionDenied });
});

const orgRoleElsewhere = PROTOCOLS.flatMap((protocol) =>
  (['ORG_OWNER', 'ORG_USER_MANAGER', 'ORG_OWNER_VIEWER'] as const).flatMap((role) =>
    probes.filter((p) => p.orgScoped).map((probe) => ({ protocol, role, probe })),
  ),
);

test.each(orgRoleElsewhere)(
  '$protocol: $role of one org → $probe.name in another org: PERMISSION_DENIED',
  async ({ protocol, role, probe }) => {
    const result = await callers[protocol].call(probe.method, structuredClone(probe.request), {
      token: holders[role].token,
      orgId: otherOrg.orgId,
    });
    expect(result).toMatchObject({ ok: false, code: Code.PermissionDenied });
  },
);
