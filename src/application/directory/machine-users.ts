import { invalidArgument, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import type { Principal } from '../../domain/permissions.js';
import type { TargetGuard } from '../access/target-guard.js';
import type { DirectoryStore, UnitOfWork } from '../ports.js';

export interface AddMachineUserInput {
  orgId: string;
  userId: string;
  userName: string;
  name: string;
  description: string;
  accessTokenType: string;
}

const USER_NAME = /^[^\s]{1,200}$/;

export function createMachineUserCommands(deps: { directory: DirectoryStore; uow: UnitOfWork; guard: TargetGuard }) {
  return {
    /** Creates a service (machine) user, as the migration guide's first setup step does. */
    async addMachineUser(input: AddMachineUserInput): Promise<{ userId: string }> {
      if (!USER_NAME.test(input.userName)) {
        throw invalidArgument('USER-name-invalid', 'user_name must be 1–200 characters without spaces');
      }
      if (input.name.trim() === '') throw invalidArgument('USER-display-name', 'name is required');
      const userId = input.userId || newId();
      if (!/^[\w@.-]{1,64}$/.test(userId)) throw invalidArgument('USER-id-invalid', 'user_id must be 1–64 of [A-Za-z0-9_@.-]');
      await deps.directory.addMachineUser({ ...input, id: userId });
      return { userId };
    },

    /** Deletes a user of the org with everything hanging off it (tokens, memberships, secrets). */
    async removeUser(actor: Principal | null, orgId: string, userId: string): Promise<void> {
      const user = await deps.directory.getUser(userId);
      if (!user || user.orgId !== orgId) throw notFound('USER-not-found', `user ${userId} not found in org ${orgId}`);
      await deps.guard.mayAssume(actor, userId, 'user.delete');
      await deps.guard.keepsAnOwner(userId, null);
      await deps.uow.transactional(async ({ directory, audit }) => {
        await directory.removeUser(userId);
        const detail = JSON.stringify({ userName: user.userName, type: user.type });
        await audit.append([{ principal: actor?.userId ?? '', kind: 'user.removed', orgId, resourceId: userId, outcome: 'done', detail }]);
      });
    },
  };
}
