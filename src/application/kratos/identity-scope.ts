import { notFound, permissionDenied } from '../../domain/errors.js';
import { hasPermission, type Principal } from '../../domain/permissions.js';
import type { TargetGuard } from '../access/target-guard.js';
import type { DirectoryStore } from '../ports.js';

/**
 * Which identities a caller of the Kratos API may touch, by org as ZITADEL scopes its user
 * APIs (issue 9's rules, `target-guard.ts`): an instance role reaches every org; an org role
 * (ORG_OWNER, ORG_USER_MANAGER) only users of that org (Kratos' `organization_id`), and never a
 * user holding an instance-level role. An identity outside the caller's orgs is answered as
 * not found, as ZITADEL's org-filtered queries do, so its existence is not disclosed.
 */
export function createIdentityScope(deps: { guard: TargetGuard; directory: Pick<DirectoryStore, 'getUser' | 'iamMembers'> }) {
  /** Users `p` may not change with `permission`: holders of instance roles, unless `p` acts instance-wide. */
  async function shielded(p: Principal, permission: string): Promise<Set<string>> {
    if (hasPermission(p, permission)) return new Set();
    return new Set((await deps.directory.iamMembers()).map((m) => m.userId));
  }

  return {
    /** The permission in every org (an instance role). */
    instanceWide: (p: Principal, permission: string) => hasPermission(p, permission),

    /** The permission in `orgId`, from an instance role or a role in that org. */
    inOrg: (p: Principal, permission: string, orgId: string) => hasPermission(p, permission, orgId),

    /** `permission` on identity `id`; `assume` (delete) also needs every power the target has. */
    async target(p: Principal, id: string, permission: string, assume = false): Promise<void> {
      const user = await deps.directory.getUser(id);
      if (user?.type !== 'human' || !hasPermission(p, permission, user.orgId)) {
        throw notFound('KRATOS-not-found', `identity ${id} does not exist`);
      }
      if (assume) await deps.guard.mayAssume(p, id, permission);
      else await deps.guard.mayActOn(p, id, permission);
    },

    shielded,

    /**
     * What a list may show: every org for an instance role; otherwise the org asked for (or
     * the caller's own, or the first it has a role in), without holders of instance roles.
     */
    async listing(p: Principal, permission: string, requestedOrg: string | undefined): Promise<{ orgId?: string; hide: Set<string> }> {
      if (hasPermission(p, permission)) return { ...(requestedOrg ? { orgId: requestedOrg } : {}), hide: new Set() };
      const orgId =
        requestedOrg ??
        (hasPermission(p, permission, p.orgId) ? p.orgId : [...p.orgRoles.keys()].find((o) => hasPermission(p, permission, o)));
      if (orgId === undefined || !hasPermission(p, permission, orgId)) {
        throw permissionDenied('AUTH-permission', `missing permission ${permission} in organization ${orgId ?? ''}`.trim());
      }
      return { orgId, hide: await shielded(p, permission) };
    },
  };
}

export type IdentityScope = ReturnType<typeof createIdentityScope>;
