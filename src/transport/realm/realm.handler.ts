import type { Authorize } from '../../application/access/authorize.js';
import { type ClientCredentials, OAuthError } from '../../application/access/client-credentials.js';
import type { RealmAdmin, RealmParts } from '../../application/realm/realm-admin.js';
import { isDomainError } from '../../domain/errors.js';
import type { Json, JsonObject } from '../../domain/json.js';
import { HttpError } from '../http-error.js';
import { BodyError, HTTP_STATUS, matchPath, readJson, readRaw, requestSignal, sendJson } from '../json-http.js';
import type { NodeServerRequest, NodeServerResponse } from '../node-types.js';
import { partialImportResult } from './realm-responses.js';

/**
 * The realm API, Keycloak-style (keycloak/keycloak admin REST: `{"errorMessage": …}` errors,
 * partial-import results), and the realm token endpoint's client-credentials grant, so realm
 * seeding scripts (curl + a bearer token) run against idport. Authorisation comes before the body.
 */
export const REALM_PERMISSIONS = { read: 'iam.read', write: 'iam.write', users: 'user.write', secrets: 'user.secret.read' } as const;

export interface RealmHandlerOptions {
  realms: RealmAdmin;
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

export function createRealmHandler(options: RealmHandlerOptions) {
  const auth = (req: NodeServerRequest, permission: string) =>
    options.authorize({ authorization: req.headers.authorization ?? null, permission, orgScope: null });

  async function serveAdmin(req: NodeServerRequest, res: NodeServerResponse, url: URL, verb: string): Promise<void> {
    const signal = requestSignal(res);
    if (verb === 'POST' && url.pathname === '/admin/realms/import') {
      await auth(req, REALM_PERMISSIONS.write);
      const outcome = await options.realms.importRealm((await readJson(req, options.maxBodyBytes)) ?? null, flag(url, 'overwrite'), signal);
      const body: JsonObject = {
        realm: outcome.realm,
        status: outcome.status,
        notes: outcome.notes,
        errors: outcome.problems as unknown as Json[],
      };
      if (outcome.status === 'conflict') {
        sendJson(req, res, 409, {
          errorMessage: `Realm ${outcome.realm} exists with different content; use ?overwrite=true to replace it`,
          ...body,
        });
      } else if (outcome.status === 'clash') {
        sendJson(req, res, 409, {
          errorMessage: `Realm ${outcome.realm} conflicts with existing data: ${outcome.problems[0]?.message}`,
          ...body,
        });
      } else if (outcome.status === 'invalid') {
        sendJson(req, res, 400, { errorMessage: `Realm ${outcome.realm} is invalid; nothing was imported`, ...body });
      } else {
        sendJson(req, res, outcome.status === 'created' ? 201 : 200, body);
      }
      return;
    }
    const usersImport = matchPath('/admin/realms/{realm}/users/import', url.pathname);
    if (verb === 'POST' && usersImport) {
      await auth(req, REALM_PERMISSIONS.users);
      const out = await options.realms.importUsers(
        usersImport.realm ?? '',
        (await readJson(req, options.maxBodyBytes)) ?? null,
        flag(url, 'mergeUsers'),
        signal,
      );
      if ('conflict' in out) throw new HttpError(409, out.conflict);
      sendJson(req, res, 200, partialImportResult(out.results, out.notes));
      return;
    }
    for (const [suffix, parts] of Object.entries(EXPORTS)) {
      const m = matchPath(`/admin/realms/{realm}/${suffix}`, url.pathname);
      if (!m) continue;
      if (verb !== 'GET') throw new HttpError(405, 'Method Not Allowed');
      await auth(req, REALM_PERMISSIONS.read);
      // Hashes only when asked for, and only for callers who may read secrets.
      const withHashes = flag(url, 'exportHashes');
      if (withHashes) await auth(req, REALM_PERMISSIONS.secrets);
      const realm = await options.realms.exportRealm(m.realm ?? '', parts, withHashes, signal);
      const body: JsonObject =
        suffix === 'export'
          ? realm
          : {
              realm: realm.realm ?? null,
              ...Object.fromEntries(Object.entries(realm).filter(([k]) => k in parts && parts[k as keyof RealmParts])),
            };
      sendJson(req, res, 200, body);
      return;
    }
    throw new HttpError(404, 'Not Found');
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
      const status = e instanceof HttpError || e instanceof BodyError ? e.status : isDomainError(e) ? HTTP_STATUS[e.kind] : 500;
      const message =
        e instanceof HttpError || e instanceof BodyError || (isDomainError(e) && status < 500) ? (e as Error).message : 'unknown_error';
      if (status >= 500) options.onUnexpected(`${verb} ${url.pathname} failed`, e);
      sendJson(req, res, status, { errorMessage: message });
    }
    return true;
  };
}
