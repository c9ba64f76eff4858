import { invalidArgument, notFound } from '../../domain/errors.js';
import type { Principal } from '../../domain/permissions.js';
import { isKnownRole } from '../../domain/permissions.js';
import type { TargetGuard } from '../access/target-guard.js';
import type { DirectoryStore, UnitOfWork } from '../ports.js';

export function createIamMemberCommands(deps: { directory: DirectoryStore; uow: UnitOfWork; guard: TargetGuard }) {
  return {
    /** Grants instance roles (e.g. IAM_OWNER for the migration service user). */
    async addIamMember(actor: Principal | null, userId: string, roles: string[]): Promise<void> {
      if (roles.length === 0) throw invalidArgument('MEMBER-no-roles', 'at least one role is required');
      const unknown = roles.filter((r) => !isKnownRole(r, 'iam'));
      if (unknown.length > 0) throw invalidArgument('MEMBER-role-unknown', `unknown instance roles: ${unknown.join(', ')}`);
      if (!userId) throw invalidArgument('MEMBER-user', 'user_id is required');
      if (!(await deps.directory.getUser(userId))) throw notFound('USER-not-found', `user ${userId} not found`);
      const after = [...new Set(roles)];
      await deps.guard.keepsAnOwner(userId, after);
      await deps.uow.transactional(async ({ directory, audit }) => {
        const change = await directory.setIamMember(userId, after);
        const detail = JSON.stringify({ roles: after, change });
        await audit.append([{ principal: actor?.userId ?? '', kind: 'iam_member.added', resourceId: userId, outcome: 'done', detail }]);
      });
    },
  };
}
