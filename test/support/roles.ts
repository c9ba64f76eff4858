import { randomUUID } from 'node:crypto';
import type { TestApp } from './app.js';
import { dataOrg, machineUser } from './import-data.js';

/** A caller holding some roles: its PAT, user id and org. */
export interface RoleHolder {
  token: string;
  userId: string;
  orgId: string;
}

async function rest(app: TestApp, verb: string, path: string, body: unknown, orgId?: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${app.url}${path}`, {
    method: verb,
    headers: {
      authorization: `Bearer ${app.token}`,
      'content-type': 'application/json',
      ...(orgId ? { 'x-zitadel-orgid': orgId } : {}),
    },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${verb} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * Makes a machine user with a PAT, through the public API as an operator would (the admin's
 * token): instance roles with AddIAMMember (in the default org), org roles by importing an
 * org whose `orgMembers` name the user (idport has no AddOrgMember RPC; import is how
 * ZITADEL data brings them). `org.orgId` reuses an org made by an earlier call.
 */
export async function makeRoleHolder(
  app: TestApp,
  roles: { iam?: string[]; org?: { roles: string[]; orgId?: string } },
): Promise<RoleHolder> {
  const tag = randomUUID().slice(0, 8);
  const userId = `u-${tag}`;
  let orgId: string | undefined;
  if (roles.org) {
    orgId = roles.org.orgId ?? `o-${tag}`;
    const parts = { machineUsers: [machineUser(userId, `m-${tag}`)], orgMembers: [{ userId, roles: roles.org.roles }] };
    // Without a name, an org part adds to the org that exists with that id.
    const org = roles.org.orgId ? { orgId, ...parts } : dataOrg(orgId, `org ${tag}`, parts);
    // An org that exists already is matched by id; only the user and membership are new.
    const res = await rest(app, 'POST', '/admin/v1/import', { timeout: '1m', dataOrgs: { orgs: [org] } });
    const errors = (res.errors as unknown[] | undefined) ?? [];
    if (errors.length > 0) throw new Error(`import of role holder failed: ${JSON.stringify(errors)}`);
  } else {
    await rest(app, 'POST', '/management/v1/users/machine', { userId, userName: `m-${tag}`, name: `holder ${tag}` });
  }
  const pat = await rest(app, 'POST', `/management/v1/users/${userId}/pats`, { expirationDate: '2099-01-01T00:00:00Z' }, orgId);
  if (roles.iam) await rest(app, 'POST', '/admin/v1/members', { userId, roles: roles.iam });
  return { token: String(pat.token), userId, orgId: orgId ?? (await defaultOrgId(app)) };
}

/** The id of the org the first start created (found by its configured name). */
export async function defaultOrgId(app: TestApp): Promise<string> {
  const res = await rest(app, 'POST', '/admin/v1/orgs/_search', {
    queries: [{ nameQuery: { name: app.config.bootstrap.orgName, method: 'TEXT_QUERY_METHOD_EQUALS' } }],
  });
  const [org] = (res.result as { id: string }[] | undefined) ?? [];
  if (!org) throw new Error('default org not found');
  return org.id;
}

/** Only the PAT of a role holder. */
export async function mintRoleToken(app: TestApp, roles: Parameters<typeof makeRoleHolder>[1]): Promise<string> {
  return (await makeRoleHolder(app, roles)).token;
}
