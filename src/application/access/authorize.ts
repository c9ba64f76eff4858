import { hashAccessToken } from '../../domain/access-token.js';
import { permissionDenied, unauthenticated } from '../../domain/errors.js';
import { hasPermission, type Principal, PUBLIC } from '../../domain/permissions.js';
import type { Clock, DirectoryStore } from '../ports.js';

export interface AccessRequest {
  /** The raw `authorization` header value, if any. */
  authorization: string | null;
  /** The permission the called method declares. */
  permission: string;
  /**
   * For org-scoped methods: the org named by `x-zitadel-orgid`, or null for the default org.
   * `'any'`: the permission in the instance or in at least one org; the caller then checks each
   * target's org itself (the Kratos and realm APIs, whose targets name their org).
   */
  orgScope: { requestedOrgId: string | null } | 'any' | null;
}

export interface Access {
  principal: Principal | null;
  /** The org the call acts on (org-scoped methods only). */
  orgId: string | null;
}

/**
 * Resolves a bearer token to a principal and checks the method's permission. Every failure
 * before the permission check is UNAUTHENTICATED and says nothing about which part failed
 * beyond what the caller can fix (a malformed header vs. a bad token).
 */
export function createAuthorizer(deps: { directory: DirectoryStore; clock: Clock }) {
  return async function authorize(req: AccessRequest): Promise<Access> {
    if (req.permission === PUBLIC) return { principal: null, orgId: null };
    const principal = await authenticate(req.authorization);
    let orgId: string | null = null;
    if (req.orgScope === 'any') {
      const inSomeOrg = [...principal.orgRoles.keys()].some((org) => hasPermission(principal, req.permission, org));
      if (!inSomeOrg && !hasPermission(principal, req.permission)) {
        throw permissionDenied('AUTH-permission', `missing permission ${req.permission}`);
      }
      return { principal, orgId: null };
    }
    if (req.orgScope) {
      orgId = req.orgScope.requestedOrgId ?? (await deps.directory.getInstance())?.defaultOrgId ?? null;
      if (orgId === null) throw permissionDenied('AUTH-no-org', 'no organisation context');
      // As ZITADEL (AUTH-Bs7Ds): naming an org that does not exist is a permission problem.
      if (req.orgScope.requestedOrgId !== null && !(await deps.directory.getOrg(orgId))) {
        throw permissionDenied('AUTH-org-missing', "organisation doesn't exist");
      }
    }
    if (!hasPermission(principal, req.permission, orgId ?? undefined)) {
      throw permissionDenied('AUTH-permission', `missing permission ${req.permission}`);
    }
    return { principal, orgId };
  };

  async function authenticate(header: string | null): Promise<Principal> {
    if (!header) throw unauthenticated('AUTH-missing', 'authorization header missing: send "Authorization: Bearer <token>"');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthenticated('AUTH-malformed', 'authorization header must be "Bearer <token>"');
    const found = await deps.directory.findTokenByHash(hashAccessToken(match[1] as string));
    if (!found) throw unauthenticated('AUTH-invalid', 'token is invalid or was removed');
    if (found.token.expiresAt.getTime() <= deps.clock.now().getTime()) {
      throw unauthenticated('AUTH-expired', 'token has expired');
    }
    if (found.user.state !== 'USER_STATE_ACTIVE') throw unauthenticated('AUTH-inactive', 'token owner is not active');
    const roles = await deps.directory.rolesOf(found.user.id);
    return { userId: found.user.id, orgId: found.user.orgId, iamRoles: roles.iam, orgRoles: roles.orgs };
  }
}

export type Authorize = ReturnType<typeof createAuthorizer>;
