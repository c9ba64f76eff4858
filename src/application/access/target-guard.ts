import { failedPrecondition, permissionDenied } from '../../domain/errors.js';
import { covers, OWNER_ROLE, type Principal, permissionsOf, type RoleHolding } from '../../domain/permissions.js';
import type { DirectoryStore } from '../ports.js';

/**
 * Privileges as ZITADEL scopes them (issue 9). The permission check at the door says the
 * caller may do this kind of thing in this org; these checks say it may do it to this user:
 * - an org-level role never acts on a user holding an instance-level role;
 * - acting with the target's powers (minting its token) or removing it needs at least every
 *   permission the target holds;
 * - the last IAM_OWNER cannot be removed or demoted (FAILED_PRECONDITION), or nobody could
 *   administer the instance again.
 */
export function createTargetGuard(deps: { directory: DirectoryStore }) {
  async function holdingOf(userId: string): Promise<RoleHolding> {
    const roles = await deps.directory.rolesOf(userId);
    return { iamRoles: roles.iam, orgRoles: roles.orgs };
  }

  async function isLastOwner(userId: string): Promise<boolean> {
    const owners = (await deps.directory.iamMembers()).filter((m) => m.roles.includes(OWNER_ROLE));
    return owners.length === 1 && owners[0]?.userId === userId;
  }

  /** `permission` on `targetUserId`: refused if the target sits above the caller's scope. */
  async function mayActOn(actor: Principal | null, targetUserId: string, permission: string): Promise<RoleHolding> {
    const target = await holdingOf(targetUserId);
    if (target.iamRoles.length > 0 && !(actor && permissionsOf(actor.iamRoles).has(permission))) {
      throw permissionDenied('AUTH-target-instance', 'an org-level role cannot act on a user holding an instance-level role');
    }
    return target;
  }

  return {
    mayActOn,

    /** Minting a token for, or removing, `targetUserId`: needs at least the target's powers. */
    async mayAssume(actor: Principal | null, targetUserId: string, permission: string): Promise<void> {
      const target = await mayActOn(actor, targetUserId, permission);
      if (!actor || !covers(actor, target)) {
        throw permissionDenied('AUTH-target-privileges', 'the user holds privileges the caller does not');
      }
    },

    /** Refuses to leave the instance without an IAM_OWNER. */
    async keepsAnOwner(userId: string, rolesAfter: readonly string[] | null): Promise<void> {
      if (rolesAfter?.includes(OWNER_ROLE)) return;
      if (await isLastOwner(userId)) {
        throw failedPrecondition('MEMBER-last-owner', 'the last IAM_OWNER cannot be removed or demoted; make another user IAM_OWNER first');
      }
    },
  };
}

export type TargetGuard = ReturnType<typeof createTargetGuard>;
