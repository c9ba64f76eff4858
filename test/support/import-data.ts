/**
 * Hand-built DataOrg JSON for import tests (admin.v1 shape unless named v1). Every builder
 * takes the ids and names it uses, so tests sharing one app never collide: org names and
 * (instance-scoped) user names must be unique across the whole instance.
 */
import type { JsonObject } from '@bufbuild/protobuf';

export type DataOrg = JsonObject & { orgId: string };

/** An org with `parts` (DataOrg fields); `orgState` is set because ExportData always writes it. */
export function dataOrg(orgId: string, name: string, parts: JsonObject = {}): DataOrg {
  return { orgId, org: { name }, ...parts, orgState: 'ORG_STATE_ACTIVE' };
}

/** A valid human user (DataHumanUser) without secrets; `user` fields override the defaults. */
export function humanUser(userId: string, userName: string, user: JsonObject = {}): JsonObject {
  return {
    userId,
    user: {
      userName,
      profile: { firstName: 'Test', lastName: 'User' },
      email: { email: `${userName}@example.com`, isEmailVerified: true },
      ...user,
    },
    state: 'USER_STATE_ACTIVE',
  };
}

export function machineUser(userId: string, userName: string): JsonObject {
  return { userId, user: { userName, name: `machine ${userName}` }, state: 'USER_STATE_ACTIVE' };
}

export function project(projectId: string, name = `project ${projectId}`): JsonObject {
  return { projectId, project: { name } };
}

export function projectRole(projectId: string, roleKey: string): JsonObject {
  return { projectId, roleKey, displayName: roleKey };
}

export function apiApp(appId: string, projectId: string): JsonObject {
  return { appId, app: { projectId, name: `app ${appId}` } };
}

export function projectGrant(grantId: string, projectId: string, grantedOrgId: string, roleKeys: string[] = []): JsonObject {
  return { grantId, projectGrant: { projectId, grantedOrgId, ...(roleKeys.length ? { roleKeys } : {}) } };
}

export function action(actionId: string): JsonObject {
  return { actionId, action: { name: `action ${actionId}`, script: 'function a(ctx, api) {}', timeout: '10s' } };
}

/**
 * `orgCount` orgs of `usersPerOrg` human users each, ids and names prefixed with `tag`. Numbers
 * are zero-padded, so the list is in the order ExportData writes (by id).
 */
export function bulkOrgs(tag: string, orgCount: number, usersPerOrg: number): DataOrg[] {
  const n = (i: number) => String(i).padStart(4, '0');
  return Array.from({ length: orgCount }, (_, o) =>
    dataOrg(`${tag}-o${n(o)}`, `${tag} org ${n(o)}`, {
      humanUsers: Array.from({ length: usersPerOrg }, (_, u) => humanUser(`${tag}-o${n(o)}-u${n(u)}`, `${tag}-${n(o)}-${n(u)}`)),
    }),
  );
}
