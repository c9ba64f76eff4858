import type { Authorize } from '../../application/access/authorize.js';
import { type ClientCredentials, OAuthError } from '../../application/access/client-credentials.js';
import type { IdentityScope } from '../../application/kratos/identity-scope.js';
import { REALM_PERMISSIONS, realmAccess } from '../../application/realm/realm-access.js';
import type { RealmAdmin, RealmParts } from '../../application/realm/realm-admin.js';
import { isJsonObject, type Json, type JsonObject } from '../../domain/json.js';
import type { Principal } from '../../domain/permissions.js';
import { HttpError } from '../http-error.js';
import { matchPath, readRaw, requestSignal, sendJson } from '../json-http.js';
import { callOf, faultOf, findRoute, type JsonRoute } from '../json-routes.js';
import type { NodeServerRequest, NodeServerResponse } from '../node-types.js';
import { partialImportResult } from './realm-responses.js';

/**
 * The realm API, Keycloak-style (keycloak/keycloak admin REST: `{"errorMessage": …}` errors,
 * partial-import results), and the realm token endpoint's client-credentials grant, so realm
 * seeding scripts (curl + a bearer token) run against idport. A caller needs the route's
 * permission somewhere before the body is read, then on the realm's org (realm-access.ts).
 */
export { REALM_PERMISSIONS } from '../../application/realm/realm-access.js';

export interface RealmHandlerOptions {
  realms: RealmAdmin;
  /** Which users an org-level caller may not change (holders of instance roles). */
  scope: Pick<IdentityScope, 'shielded'>;
  clientCredentials: ClientCredentials;
  authorize: Authorize;
  maxBodyBytes: number;
  onUnexpected(message: string, cause: unknown): void;
}

const EXPORTS: Record<string, RealmParts> = {
  export: { users: true, roles: true, clients: true },
  'users/export': { users: true, roles: false, clients: false },
  'roles/export': { users: false, roles: true, clients: false },
  'clients/export': { users: false, roles: false, clients: true },
};

const flag = (url: URL, name: string) => url.searchParams.get(name) === 'true';
const forbidden = (realm: string) => new HttpError(403, `not permitted on realm ${realm}`);

type RealmRoute = JsonRoute<{ caller: Principal; signal: AbortSignal }> & { permission: string };

export function createRealmHandler(options: RealmHandlerOptions) {
  const routes: RealmRoute[] = [
    {
      verb: 'POST',
      path: '/admin/realms/import',
      permission: REALM_PERMISSIONS.write,
      async run({ req, res, url, body, caller, signal }) {
        const outcome = await options.realms.importRealm(
          (await body()) ?? null,
          flag(url, 'overwrite'),
          signal,
          (orgId, exists) => realmAccess.mayImport(caller, orgId, exists),
          await options.scope.shielded(caller, REALM_PERMISSIONS.users),
        );
        const answer: JsonObject = {
          realm: outcome.realm,
          status: outcome.status,
          notes: outcome.notes,
          errors: outcome.problems as unknown as Json[],
        };
        if (outcome.status === 'forbidden') {
          sendJson(req, res, 403, { errorMessage: outcome.problems[0]?.message ?? `not permitted on realm ${outcome.realm}`, ...answer });
        } else if (outcome.status === 'conflict') {
          sendJson(req, res, 409, {
            errorMessage: `Realm ${outcome.realm} exists with different content; use ?overwrite=true to replace it`,
            ...answer,
          });
        } else if (outcome.status === 'clash') {
          sendJson(req, res, 409, {
            errorMessage: `Realm ${outcome.realm} conflicts with existing data: ${outcome.problems[0]?.message}`,
            ...answer,
          });
        } else if (outcome.status === 'invalid') {
          sendJson(req, res, 400, { errorMessage: `Realm ${outcome.realm} is invalid; nothing was imported`, ...answer });
        } else {
          sendJson(req, res, outcome.status === 'created' ? 201 : 200, answer);
        }
      },
    },
    {
      verb: 'POST',
      path: '/admin/realms/{realm}/users/import',
      permission: REALM_PERMISSIONS.users,
      async run({ req, res, url, vars, body, caller, signal }) {
        const realm = await options.realms.orgOfRealm(vars.realm ?? '');
        const given = (await body()) ?? null;
        const nonEmpty = (v: Json | undefined) => (Array.isArray(v) ? v.length > 0 : isJsonObject(v) && Object.keys(v).length > 0);
        const definesConfig = isJsonObject(given) && (nonEmpty(given.clients) || nonEmpty(given.roles));
        if (!realmAccess.mayImportUsers(caller, realm, definesConfig)) throw forbidden(realm);
        const shield = await options.scope.shielded(caller, REALM_PERMISSIONS.users);
        const out = await options.realms.importUsers(realm, given, flag(url, 'mergeUsers'), signal, shield);
        if ('conflict' in out) throw new HttpError(409, out.conflict);
        sendJson(req, res, 200, partialImportResult(out.results, out.notes));
      },
    },
    ...Object.entries(EXPORTS).map(
      ([suffix, parts]): RealmRoute => ({
        verb: 'GET',
        path: `/admin/realms/{realm}/${suffix}`,
        permission: parts.users && !parts.roles ? 'user.read' : REALM_PERMISSIONS.read,
        async run({ req, res, url, vars, caller, signal }) {
          const realmId = await options.realms.orgOfRealm(vars.realm ?? '');
          // Hashes only when asked for, and only for callers who may read secrets.
          const withHashes = flag(url, 'exportHashes');
          if (!realmAccess.mayExport(caller, realmId, parts, withHashes)) throw forbidden(realmId);
          const realm = await options.realms.exportRealm(realmId, parts, withHashes, signal);
          const answer: JsonObject =
            suffix === 'export'
              ? realm
              : {
                  realm: realm.realm ?? null,
                  ...Object.fromEntries(Object.entries(realm).filter(([k]) => k in parts && parts[k as keyof RealmParts])),
                };
          sendJson(req, res, 200, answer);
        },
      }),
    ),
  ];

  async function serveAdmin(req: NodeServerRequest, res: NodeServerResponse, url: URL, verb: string): Promise<void> {
    const found = findRoute(routes, verb, url.pathname);
    if (!('route' in found)) throw 'methodNotAllowed' in found ? new HttpError(405, 'Method Not Allowed') : new HttpError(404, 'Not Found');
    const access = await options.authorize({
      authorization: req.headers.authorization ?? null,
      permission: found.route.permission,
      orgScope: 'any',
    });
    await found.route.run({
      ...callOf(req, res, found.vars, options.maxBodyBytes),
      caller: access.principal as Principal,
      signal: requestSignal(res),
    });
  }

  async function serveToken(req: NodeServerRequest, res: NodeServerResponse, realm: string): Promise<void> {
    const form = new URLSearchParams((await readRaw(req, 64 * 1024)).toString('utf8'));
    let clientId = form.get('client_id') ?? '';
    let clientSecret = form.get('client_secret') ?? '';
    // RFC 6749 §2.3.1: client_secret_basic (form-urlencoded id and secret in the Basic header).
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const [id, secret] = Buffer.from(basic[1] ?? '', 'base64')
        .toString('utf8')
        .split(':');
      clientId = decodeURIComponent(id ?? '');
      clientSecret = decodeURIComponent(secret ?? '');
    }
    const grant = form.get('grant_type');
    if (grant !== 'client_credentials') {
      throw new OAuthError(
        'unsupported_grant_type',
        400,
        grant ? `grant_type ${grant} is not supported; use client_credentials` : 'grant_type is required',
      );
    }
    if (!clientId || !clientSecret) throw new OAuthError('invalid_request', 400, 'client_id and client_secret are required');
    const { accessToken, expiresIn } = await options.clientCredentials.token(realm, clientId, clientSecret);
    sendJson(
      req,
      res,
      200,
      {
        access_token: accessToken,
        expires_in: expiresIn,
        refresh_expires_in: 0,
        token_type: 'Bearer',
        'not-before-policy': 0,
        scope: 'openid',
      },
      { 'cache-control': 'no-store', pragma: 'no-cache' },
    );
  }

  /** Serves realm paths; false when the request is not one of them. */
  return async function serveRealm(req: NodeServerRequest, res: NodeServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const verb = (req.method ?? 'GET').toUpperCase();
    const token = matchPath('/realms/{realm}/protocol/openid-connect/token', url.pathname);
    if (!token && !url.pathname.startsWith('/admin/realms/')) return false;
    try {
      if (token) {
        if (verb !== 'POST') throw new OAuthError('invalid_request', 400, 'the token endpoint takes POST');
        await serveToken(req, res, token.realm ?? '');
      } else {
        await serveAdmin(req, res, url, verb);
      }
    } catch (e) {
      if (e instanceof OAuthError) {
        sendJson(req, res, e.status, { error: e.error, error_description: e.message }, { 'cache-control': 'no-store' });
        return true;
      }
      const fault = faultOf(e);
      if (fault.internal) options.onUnexpected(`${verb} ${url.pathname} failed`, e);
      sendJson(req, res, fault.status, { errorMessage: fault.internal ? 'unknown_error' : fault.message });
    }
    return true;
  };
}
