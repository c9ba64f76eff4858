import type { Authorize } from '../../application/access/authorize.js';
import { CREDENTIAL_TYPES } from '../../application/convert/kratos-export.js';
import type { IdentityOutcome, KratosIdentities } from '../../application/kratos/kratos-identities.js';
import { isDomainError } from '../../domain/errors.js';
import { isJsonObject, type Json, type JsonObject } from '../../domain/json.js';
import { HttpError } from '../http-error.js';
import { BodyError, HTTP_STATUS, matchPath, readJson, requestSignal, sendJson } from '../json-http.js';
import type { NodeServerRequest, NodeServerResponse } from '../node-types.js';
import { kratosError, kratosErrorBody } from './kratos-errors.js';
import { decodePageToken, encodePageToken, linkHeader, parsePageSize } from './kratos-pagination.js';

/**
 * Kratos' admin identity API at Kratos' own paths and JSON shapes (ory/kratos `spec/api.json`),
 * so Ory's generated clients work unchanged. Kratos' admin API has no auth of its own (it is
 * meant to sit behind a gateway); idport requires its bearer token and maps each operation to
 * a permission. Authorisation happens before the body is read.
 */
export const KRATOS_PERMISSIONS = {
  read: 'user.read',
  write: 'user.write',
  delete: 'user.delete',
  /** include_credential exposes password hashes and TOTP secrets. */
  secrets: 'user.secret.read',
} as const;

/** Header naming, per identity, what could not be carried into idport (a JSON array of sentences). */
export const NOT_CARRIED_HEADER = 'x-idport-not-carried';

export interface KratosHandlerOptions {
  identities: KratosIdentities;
  authorize: Authorize;
  maxBodyBytes: number;
  onUnexpected(message: string, cause: unknown): void;
}

type Route = {
  verb: string;
  path: string;
  permission: string;
  run(c: {
    req: NodeServerRequest;
    res: NodeServerResponse;
    vars: Record<string, string>;
    url: URL;
    body(): Promise<Json | undefined>;
  }): Promise<void>;
};

export function createKratosHandler(options: KratosHandlerOptions) {
  const { identities } = options;

  const includeOf = async (url: URL, authorization: string | null): Promise<Set<string>> => {
    const values = url.searchParams.getAll('include_credential');
    for (const v of values) {
      if (!(CREDENTIAL_TYPES as readonly string[]).includes(v))
        throw new HttpError(400, `Invalid value \`${v}\` for parameter \`include_credential\`.`);
    }
    if (values.length > 0) await options.authorize({ authorization, permission: KRATOS_PERMISSIONS.secrets, orgScope: null });
    return new Set(values);
  };

  const outcomeError = (o: Extract<IdentityOutcome, { ok: false }>) => new HttpError(o.status, o.reason);
  const notCarried = (notes: string[]): Record<string, string> => (notes.length ? { [NOT_CARRIED_HEADER]: JSON.stringify(notes) } : {});

  const routes: Route[] = [
    {
      verb: 'GET',
      path: '/admin/identities',
      permission: KRATOS_PERMISSIONS.read,
      async run({ req, res, url }) {
        const include = await includeOf(url, req.headers.authorization ?? null);
        const q = url.searchParams;
        if (q.has('page') || q.has('per_page'))
          throw new HttpError(400, 'page and per_page are not supported here; use page_size and page_token');
        const ids = q.getAll('ids').filter(Boolean);
        const filters = [
          ids.length > 0,
          q.has('credentials_identifier'),
          q.has('preview_credentials_identifier_similar'),
          q.has('organization_id'),
        ];
        if (filters.filter(Boolean).length > 1) throw new HttpError(400, 'You cannot combine multiple filters in this API');
        if (q.has('preview_credentials_identifier_similar'))
          throw new HttpError(400, 'preview_credentials_identifier_similar is not supported');
        if (ids.length > 500) throw new HttpError(400, 'The number of ids to filter must not exceed 500.');
        const pageSize = ids.length > 0 ? 500 : parsePageSize(q.get('page_size'));
        const afterId = ids.length > 0 ? undefined : decodePageToken(q.get('page_token'));
        const query: Parameters<KratosIdentities['list']>[0] = { pageSize };
        if (afterId !== undefined) query.afterId = afterId;
        if (ids.length > 0) query.ids = ids;
        const identifier = q.get('credentials_identifier');
        if (identifier) query.identifier = identifier;
        const org = q.get('organization_id');
        if (org) query.orgId = org;
        const page = await identities.list(query, include);
        const last = page.items.at(-1)?.id;
        const next = page.more && typeof last === 'string' ? encodePageToken(last) : undefined;
        sendJson(req, res, 200, page.items, ids.length > 0 ? {} : { link: linkHeader(url, pageSize, next) });
      },
    },
    {
      verb: 'POST',
      path: '/admin/identities',
      permission: KRATOS_PERMISSIONS.write,
      async run({ req, res, url, body }) {
        const [outcome] = await identities.create([(await body()) ?? null], requestSignal(res));
        if (!outcome) throw new HttpError(500, 'no outcome');
        if (!outcome.ok) throw outcomeError(outcome);
        const identity = await identities.get(outcome.id, new Set());
        sendJson(req, res, 201, identity ?? null, {
          location: new URL(`/admin/identities/${encodeURIComponent(outcome.id)}`, url).toString(),
          ...notCarried(outcome.notes),
        });
      },
    },
    {
      verb: 'PATCH',
      path: '/admin/identities',
      permission: KRATOS_PERMISSIONS.write,
      async run({ req, res, body }) {
        const parsed = await body();
        if (!isJsonObject(parsed) || !Array.isArray(parsed.identities)) throw new HttpError(400, 'body must be {"identities": [...]}');
        for (const key of Object.keys(parsed)) if (key !== 'identities') throw new HttpError(400, `json: unknown field "${key}"`);
        const patches = parsed.identities.map((p) => (isJsonObject(p) ? p : {}));
        const creates = patches.filter((p) => p.create !== undefined && p.create !== null);
        const outcomes = await identities.create(
          creates.map((p) => p.create as Json),
          requestSignal(res),
        );
        let next = 0;
        const answers = patches.map((p): JsonObject => {
          const answer: JsonObject = {};
          if (typeof p.patch_id === 'string') answer.patch_id = p.patch_id;
          if (p.create === undefined || p.create === null) {
            return { action: 'error', ...answer, error: kratosError(400, 'patch has nothing to do: only "create" is supported') };
          }
          const o = outcomes[next++] as IdentityOutcome;
          const out: JsonObject = o.ok
            ? { action: 'create', identity: o.id, ...answer }
            : { action: 'error', ...answer, error: kratosError(o.status, o.reason) };
          if (o.notes.length) out.idport_not_carried = o.notes;
          return out;
        });
        sendJson(req, res, 200, { identities: answers });
      },
    },
    {
      verb: 'GET',
      path: '/admin/identities/{id}',
      permission: KRATOS_PERMISSIONS.read,
      async run({ req, res, url, vars }) {
        const include = await includeOf(url, req.headers.authorization ?? null);
        const identity = await identities.get(vars.id ?? '', include);
        if (!identity) throw new HttpError(404, `identity ${vars.id} does not exist`);
        sendJson(req, res, 200, identity);
      },
    },
    {
      verb: 'PUT',
      path: '/admin/identities/{id}',
      permission: KRATOS_PERMISSIONS.write,
      async run({ req, res, vars, body }) {
        const id = vars.id ?? '';
        const outcome = await identities.update(id, (await body()) ?? null, requestSignal(res));
        if (!outcome.ok) throw outcomeError(outcome);
        sendJson(req, res, 200, (await identities.get(id, new Set())) ?? null, notCarried(outcome.notes));
      },
    },
    {
      verb: 'DELETE',
      path: '/admin/identities/{id}',
      permission: KRATOS_PERMISSIONS.delete,
      async run({ req, res, vars }) {
        await identities.remove(vars.id ?? '');
        sendJson(req, res, 204, undefined);
      },
    },
  ];

  /** Serves a Kratos admin path; false when the request is not one (the next fallback tries). */
  return async function serveKratos(req: NodeServerRequest, res: NodeServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/admin/identities')) return false;
    const host = req.headers.host ?? (req.headers as Record<string, string | undefined>)[':authority'];
    const self = host ? new URL(`${url.pathname}${url.search}`, `http://${host}`) : url;
    const verb = (req.method ?? 'GET').toUpperCase();
    let matched: { route: Route; vars: Record<string, string> } | undefined;
    for (const route of routes) {
      const vars = matchPath(route.path, url.pathname);
      if (vars && route.verb === verb) matched = { route, vars };
    }
    if (!matched) {
      const known = routes.some((r) => matchPath(r.path, url.pathname));
      sendJson(req, res, known ? 405 : 404, kratosErrorBody(known ? 405 : 404, `${verb} ${url.pathname} is not served`));
      return true;
    }
    try {
      await options.authorize({ authorization: req.headers.authorization ?? null, permission: matched.route.permission, orgScope: null });
      await matched.route.run({
        req,
        res,
        url: self,
        vars: matched.vars,
        body: () => readJson(req, options.maxBodyBytes),
      });
    } catch (e) {
      const { status, reason, id } = describe(e);
      if (status >= 500) options.onUnexpected(`${verb} ${url.pathname} failed`, e);
      sendJson(req, res, status, kratosErrorBody(status, reason, id));
    }
    return true;
  };
}

function describe(e: unknown): { status: number; reason: string; id?: string } {
  if (e instanceof HttpError) return { status: e.status, reason: e.message };
  if (e instanceof BodyError) return { status: e.status, reason: e.message };
  if (isDomainError(e)) {
    const status = HTTP_STATUS[e.kind];
    return status >= 500 && e.kind === 'Internal' ? { status, reason: 'internal error' } : { status, reason: e.message, id: e.id };
  }
  return { status: 500, reason: 'internal error' };
}
