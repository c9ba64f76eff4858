import { DEFAULT_TOKEN_LIFETIME_MS, newAccessToken } from '../../domain/access-token.js';
import { invalidArgument, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import type { Principal } from '../../domain/permissions.js';
import type { TargetGuard } from '../access/target-guard.js';
import type { Clock, DirectoryStore, PersonalAccessToken, UnitOfWork } from '../ports.js';
import { MAX_PAGE } from './orgs.js';

export function createAccessTokenCommands(deps: { directory: DirectoryStore; uow: UnitOfWork; clock: Clock; guard: TargetGuard }) {
  async function requireUserInOrg(orgId: string, userId: string) {
    const user = await deps.directory.getUser(userId);
    if (!user || user.orgId !== orgId) throw notFound('USER-not-found', `user ${userId} not found in org ${orgId}`);
    return user;
  }

  return {
    /**
     * Mints a token for a machine user. The plain token is returned once and never stored.
     * Like ZITADEL, only machine users can hold PATs.
     */
    async addToken(
      actor: Principal | null,
      orgId: string,
      userId: string,
      expiresAt: Date | null,
    ): Promise<{ tokenId: string; token: string; createdAt: Date }> {
      const user = await requireUserInOrg(orgId, userId);
      // A token is the user's powers: only for callers who hold them already.
      await deps.guard.mayAssume(actor, userId, 'user.write');
      if (user.type !== 'machine') {
        throw invalidArgument('PAT-human', 'personal access tokens can only be added to machine users');
      }
      const now = deps.clock.now();
      const expiry = expiresAt ?? new Date(now.getTime() + DEFAULT_TOKEN_LIFETIME_MS);
      if (expiry.getTime() <= now.getTime()) throw invalidArgument('PAT-expired', 'expiration_date must be in the future');
      const { token, hash } = newAccessToken();
      const record: PersonalAccessToken = { id: newId(), userId, expiresAt: expiry, scopes: ['openid'], createdAt: now };
      // The token and its audit event commit together.
      await deps.uow.transactional(async ({ directory, audit }) => {
        await directory.addToken(record, hash);
        await audit.append([
          {
            principal: actor?.userId ?? '',
            kind: 'pat.added',
            orgId,
            resourceId: record.id,
            outcome: 'done',
            detail: JSON.stringify({ userId, expiresAt: expiry.toISOString() }),
          },
        ]);
      });
      return { tokenId: record.id, token, createdAt: now };
    },

    async listTokens(actor: Principal | null, orgId: string, userId: string, page: { offset: number; limit: number; asc: boolean }) {
      await requireUserInOrg(orgId, userId);
      await deps.guard.mayActOn(actor, userId, 'user.read');
      return deps.directory.listTokens(userId, { ...page, limit: page.limit <= 0 || page.limit > MAX_PAGE ? MAX_PAGE : page.limit });
    },

    async removeToken(actor: Principal | null, orgId: string, userId: string, tokenId: string): Promise<void> {
      await requireUserInOrg(orgId, userId);
      await deps.guard.mayActOn(actor, userId, 'user.write');
      await deps.uow.transactional(async ({ directory, audit }) => {
        if (!(await directory.removeToken(userId, tokenId))) {
          throw notFound('PAT-not-found', `token ${tokenId} not found for user ${userId}`);
        }
        const detail = JSON.stringify({ userId });
        await audit.append([{ principal: actor?.userId ?? '', kind: 'pat.removed', orgId, resourceId: tokenId, outcome: 'done', detail }]);
      });
    },
  };
}
