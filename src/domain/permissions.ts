/**
 * Roles and the permissions they grant, after ZITADEL's defaults (IAM_* roles act on the whole
 * instance, ORG_* roles on one org). Method permissions are declared per RPC in the protos.
 */
export const IAM_ROLES = ['IAM_OWNER', 'IAM_OWNER_VIEWER', 'IAM_USER_MANAGER'] as const;
export const ORG_ROLES = ['ORG_OWNER', 'ORG_OWNER_VIEWER', 'ORG_USER_MANAGER'] as const;

const ROLE_PERMISSIONS: Record<string, readonly string[]> = {
  IAM_OWNER: [
    'iam.read',
    'iam.write',
    'iam.member.read',
    'iam.member.write',
    'org.read',
    'org.write',
    'user.read',
    'user.write',
    'user.delete',
    // Reading password hashes and OTP secrets outside an export (Kratos' include_credential).
    'user.secret.read',
  ],
  IAM_OWNER_VIEWER: ['iam.read', 'iam.member.read', 'org.read', 'user.read'],
  IAM_USER_MANAGER: ['org.read', 'user.read', 'user.write', 'user.delete'],
  ORG_OWNER: ['org.read', 'org.write', 'user.read', 'user.write', 'user.delete'],
  ORG_OWNER_VIEWER: ['org.read', 'user.read'],
  ORG_USER_MANAGER: ['user.read', 'user.write', 'user.delete'],
};

/** Permission a public method declares: no token needed. */
export const PUBLIC = 'none';

export function permissionsOf(roles: readonly string[]): Set<string> {
  return new Set(roles.flatMap((r) => ROLE_PERMISSIONS[r] ?? []));
}

export function isKnownRole(role: string, scope: 'iam' | 'org'): boolean {
  return (scope === 'iam' ? (IAM_ROLES as readonly string[]) : (ORG_ROLES as readonly string[])).includes(role);
}

/** Who is calling, with the roles they hold per scope. */
export interface Principal {
  readonly userId: string;
  readonly orgId: string;
  readonly iamRoles: readonly string[];
  /** org id → roles held in that org. */
  readonly orgRoles: ReadonlyMap<string, readonly string[]>;
}

/** Instance-wide permissions come from IAM roles; an org's also from roles in that org. */
export function hasPermission(p: Principal, permission: string, orgId?: string): boolean {
  if (permissionsOf(p.iamRoles).has(permission)) return true;
  if (orgId === undefined) return false;
  return permissionsOf(p.orgRoles.get(orgId) ?? []).has(permission);
}

/** The roles a user holds, per scope (a Principal without the caller's identity). */
export interface RoleHolding {
  readonly iamRoles: readonly string[];
  readonly orgRoles: ReadonlyMap<string, readonly string[]>;
}

/** The role whose last holder may not go: without one, nobody can administer the instance. */
export const OWNER_ROLE = 'IAM_OWNER';

/**
 * Whether `actor` holds, at the same or a wider scope, every permission `target` holds.
 * Minting a token for a user (or removing one) is acting with that user's powers, so it needs
 * at least the target's level (issue 9: an ORG_OWNER minted a PAT for the instance admin).
 * An org permission is covered by the actor's instance permissions or its roles in that org.
 */
export function covers(actor: RoleHolding, target: RoleHolding): boolean {
  const instance = permissionsOf(actor.iamRoles);
  for (const p of permissionsOf(target.iamRoles)) if (!instance.has(p)) return false;
  for (const [orgId, roles] of target.orgRoles) {
    const inOrg = permissionsOf(actor.orgRoles.get(orgId) ?? []);
    for (const p of permissionsOf(roles)) if (!instance.has(p) && !inOrg.has(p)) return false;
  }
  return true;
}
