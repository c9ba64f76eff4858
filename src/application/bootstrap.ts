import { newAccessToken } from '../domain/access-token.js';
import { newId } from '../domain/ids.js';
import type { Clock, UnitOfWork } from './ports.js';

export interface BootstrapConfig {
  orgName: string;
  adminUserName: string;
  tokenLifetimeMs: number;
}

/**
 * First start: a default org, an admin machine user holding IAM_OWNER, and a PAT for it, so a
 * new user can call the API at once. Returns the token only when it was minted now; later
 * starts find the instance row and change nothing.
 */
export async function bootstrapInstance(
  deps: { uow: UnitOfWork; clock: Clock },
  config: BootstrapConfig,
): Promise<{ created: false } | { created: true; token: string; orgId: string; userId: string }> {
  return deps.uow.transactional(async ({ directory }) => {
    if (await directory.getInstance()) return { created: false as const };
    const orgId = newId();
    const userId = newId();
    await directory.createOrg({ id: orgId, name: config.orgName });
    await directory.addMachineUser({
      id: userId,
      orgId,
      userName: config.adminUserName,
      name: 'idport admin',
      description: 'created on first start; remove once you have your own admins',
      accessTokenType: 'ACCESS_TOKEN_TYPE_BEARER',
    });
    await directory.setIamMember(userId, ['IAM_OWNER']);
    const now = deps.clock.now();
    const { token, hash } = newAccessToken();
    await directory.addToken(
      { id: newId(), userId, expiresAt: new Date(now.getTime() + config.tokenLifetimeMs), scopes: ['openid'], createdAt: now },
      hash,
    );
    await directory.saveInstance({ defaultOrgId: orgId, adminUserId: userId });
    return { created: true as const, token, orgId, userId };
  });
}
