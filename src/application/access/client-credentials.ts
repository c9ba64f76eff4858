import { timingSafeEqual } from 'node:crypto';
import { hashAccessToken, newAccessToken } from '../../domain/access-token.js';
import { DomainError, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import type { Clock, DirectoryStore, MachineSecretStore, RealmSettingsStore } from '../ports.js';

/**
 * Keycloak's default access-token lifespan (RealmRepresentation `accessTokenLifespan`, seconds):
 * the token of a client-credentials grant lives this long unless the realm says otherwise.
 */
export const DEFAULT_ACCESS_TOKEN_LIFESPAN_S = 300;

/**
 * The scope that marks a token as issued by the client-credentials grant (beside `openid`), so
 * expired ones can be pruned without touching personal access tokens, which ZITADEL keeps
 * listed after they expire.
 */
export const CLIENT_CREDENTIALS_SCOPE = 'urn:idport:grant:client_credentials';

/** OAuth 2.0 token endpoint errors (RFC 6749 §5.2); `status` is the HTTP status to answer. */
export class OAuthError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_grant',
    readonly status: 400 | 401,
    description: string,
  ) {
    super(description);
  }
}

export interface ClientCredentialsDeps {
  directory: Pick<DirectoryStore, 'getUser' | 'addToken' | 'getInstance' | 'getOrg' | 'pruneExpiredTokens'>;
  secrets: MachineSecretStore;
  realms: RealmSettingsStore;
  clock: Clock;
}

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Machine users' client secrets (ZITADEL's GenerateMachineSecret) and the client-credentials
 * grant that trades one for a short-lived bearer token. Secrets are 256 random bits, so, like
 * access tokens, only a SHA-256 digest is kept (a slow hash adds nothing at that entropy).
 */
export function createClientCredentials(deps: ClientCredentialsDeps) {
  /** The org a realm path names: `master` is the instance's default org, any other realm the org of that id. */
  async function orgOfRealm(realm: string): Promise<string | undefined> {
    if (realm === 'master') return (await deps.directory.getInstance())?.defaultOrgId;
    return (await deps.directory.getOrg(realm)) ? realm : undefined;
  }

  return {
    /** Issues (replaces) the machine user's secret; the secret is returned once. */
    async generateSecret(orgId: string, userId: string): Promise<{ clientId: string; clientSecret: string }> {
      const user = await deps.directory.getUser(userId);
      if (user?.orgId !== orgId) throw notFound('USER-not-found', `user ${userId} not found in org ${orgId}`);
      if (user.type !== 'machine')
        throw new DomainError('FailedPrecondition', 'USER-not-machine', 'only machine users have client secrets');
      const { token: secret, hash } = newAccessToken();
      await deps.secrets.setSecretHash(userId, hash);
      return { clientId: user.userName, clientSecret: secret };
    },

    /** The client-credentials grant (RFC 6749 §4.4) at a realm's token endpoint. */
    async token(realm: string, clientId: string, clientSecret: string): Promise<{ accessToken: string; expiresIn: number }> {
      const orgId = await orgOfRealm(realm);
      if (!orgId) throw new OAuthError('invalid_request', 400, `realm ${realm} does not exist`);
      const candidates = await deps.secrets.findByClientId(clientId);
      const match = candidates.length === 1 ? candidates[0] : undefined;
      // One answer for every way a client can be wrong: nothing about which part failed.
      const invalid = () => new OAuthError('invalid_client', 401, 'invalid client credentials');
      if (!match?.secretHash || !same(match.secretHash, hashAccessToken(clientSecret))) throw invalid();
      if (match.user.state !== 'USER_STATE_ACTIVE') throw invalid();
      const settings = await deps.realms.get(orgId);
      const lifespan =
        typeof settings?.accessTokenLifespan === 'number' && settings.accessTokenLifespan > 0
          ? Math.floor(settings.accessTokenLifespan)
          : DEFAULT_ACCESS_TOKEN_LIFESPAN_S;
      const now = deps.clock.now();
      const { token, hash } = newAccessToken();
      const expiresAt = new Date(now.getTime() + lifespan * 1000);
      await deps.directory.addToken(
        { id: newId(), userId: match.user.id, expiresAt, scopes: ['openid', CLIENT_CREDENTIALS_SCOPE], createdAt: now },
        hash,
      );
      // Each grant clears the expired ones, so the store holds at most the tokens issued within
      // one lifespan (a seeding script asks for a new token per run; none would ever be removed).
      await deps.directory.pruneExpiredTokens(CLIENT_CREDENTIALS_SCOPE, now);
      return { accessToken: token, expiresIn: lifespan };
    },
  };
}

export type ClientCredentials = ReturnType<typeof createClientCredentials>;
