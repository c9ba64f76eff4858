import { CREDENTIAL_TYPES } from '../../application/convert/kratos-export.js';
import type { IdentityScope } from '../../application/kratos/identity-scope.js';
import type { IdentityOutcome, KratosIdentities } from '../../application/kratos/kratos-identities.js';
import { isJsonObject, type Json, type JsonObject } from '../../domain/json.js';
import type { Principal } from '../../domain/permissions.js';
import { HttpError } from '../http-error.js';
import { requestSignal, sendJson } from '../json-http.js';
import type { JsonRoute } from '../json-routes.js';
import { kratosError } from './kratos-errors.js';
import { decodePageToken, encodePageToken, linkHeader, parsePageSize } from './kratos-pagination.js';

/**
 * The Kratos admin identity routes (ory/kratos `spec/api.json`, the `identity` tag's admin
 * paths). Each names its permission; `target` routes act on the identity in the path and are
 * checked against its org before they run (identity-scope.ts).
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

export type KratosRoute = JsonRoute<{ caller: Principal }> & { permission: string; target?: 'identity' | 'remove' };

const outcomeError = (o: Extract<IdentityOutcome, { ok: false }>) => new HttpError(o.status, o.reason, o.detail);
const notCarried = (notes: string[]): Record<string, string> => (notes.length ? { [NOT_CARRIED_HEADER]: JSON.stringify(notes) } : {});

export function kratosRoutes(identities: KratosIdentities, scope: IdentityScope): KratosRoute[] {
  /** include_credential values; naming any needs the secrets permission, which only instance roles give. */
  const includeOf = (url: URL, caller: Principal): Set<string> => {
    const values = url.searchParams.getAll('include_credential');
    for (const v of values) {
      if (!(CREDENTIAL_TYPES as readonly string[]).includes(v))
        throw new HttpError(400, `Invalid value \`${v}\` for parameter \`include_credential\`.`);
    }
    if (values.length > 0 && !scope.instanceWide(caller, KRATOS_PERMISSIONS.secrets))
      throw new HttpError(403, `missing permission ${KRATOS_PERMISSIONS.secrets}`);
    return new Set(values);
  };

  const answerWith = async (c: Parameters<KratosRoute['run']>[0], id: string, o: IdentityOutcome) => {
    if (!o.ok) throw outcomeError(o);
    sendJson(c.req, c.res, 200, (await identities.get(id, new Set())) ?? null, notCarried(o.notes));
  };

  return [
    {
      verb: 'GET',
      path: '/admin/identities',
      permission: KRATOS_PERMISSIONS.read,
      async run({ req, res, url, caller }) {
        const include = includeOf(url, caller);
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
        const { orgId, hide } = await scope.listing(caller, KRATOS_PERMISSIONS.read, q.get('organization_id') || undefined);
        const query: Parameters<KratosIdentities['list']>[0] = { pageSize, hide };
        if (afterId !== undefined) query.afterId = afterId;
        if (ids.length > 0) query.ids = ids;
        const identifier = q.get('credentials_identifier');
        if (identifier) query.identifier = identifier;
        if (orgId) query.orgId = orgId;
        const page = await identities.list(query, include);
        const next = page.nextAfter !== undefined ? encodePageToken(page.nextAfter) : undefined;
        sendJson(req, res, 200, page.items, ids.length > 0 ? {} : { link: linkHeader(url, pageSize, next) });
      },
    },
    {
      verb: 'POST',
      path: '/admin/identities',
      permission: KRATOS_PERMISSIONS.write,
      async run({ req, res, url, body, caller }) {
        const may = (org: string) => scope.inOrg(caller, KRATOS_PERMISSIONS.write, org);
        const [outcome] = await identities.create([(await body()) ?? null], requestSignal(res), may);
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
      async run({ req, res, body, caller }) {
        const parsed = await body();
        if (!isJsonObject(parsed) || !Array.isArray(parsed.identities)) throw new HttpError(400, 'body must be {"identities": [...]}');
        for (const key of Object.keys(parsed)) if (key !== 'identities') throw new HttpError(400, `json: unknown field "${key}"`);
        const patches = parsed.identities.map((p) => (isJsonObject(p) ? p : {}));
        const creates = patches.filter((p) => p.create !== undefined && p.create !== null);
        const may = (org: string) => scope.inOrg(caller, KRATOS_PERMISSIONS.write, org);
        const outcomes = await identities.create(
          creates.map((p) => p.create as Json),
          requestSignal(res),
          may,
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
      target: 'identity',
      async run({ req, res, url, vars, caller }) {
        const identity = await identities.get(vars.id ?? '', includeOf(url, caller));
        if (!identity) throw new HttpError(404, `identity ${vars.id} does not exist`);
        sendJson(req, res, 200, identity);
      },
    },
    {
      verb: 'PUT',
      path: '/admin/identities/{id}',
      permission: KRATOS_PERMISSIONS.write,
      target: 'identity',
      async run(c) {
        const id = c.vars.id ?? '';
        await answerWith(c, id, await identities.update(id, (await c.body()) ?? null, requestSignal(c.res)));
      },
    },
    {
      verb: 'PATCH',
      path: '/admin/identities/{id}',
      permission: KRATOS_PERMISSIONS.write,
      target: 'identity',
      async run(c) {
        const id = c.vars.id ?? '';
        await answerWith(c, id, await identities.patch(id, await c.body(), requestSignal(c.res)));
      },
    },
    {
      verb: 'DELETE',
      path: '/admin/identities/{id}',
      permission: KRATOS_PERMISSIONS.delete,
      target: 'remove',
      async run({ req, res, vars }) {
        await identities.remove(vars.id ?? '');
        sendJson(req, res, 204, undefined);
      },
    },
    {
      verb: 'DELETE',
      path: '/admin/identities/{id}/credentials/{type}',
      permission: KRATOS_PERMISSIONS.write,
      target: 'identity',
      async run({ req, res, url, vars }) {
        const type = vars.type ?? '';
        if (!(CREDENTIAL_TYPES as readonly string[]).includes(type))
          throw new HttpError(400, `Invalid value \`${type}\` for parameter \`type\`.`);
        const identifier = url.searchParams.get('identifier') ?? '';
        const o = await identities.removeCredential(vars.id ?? '', type, identifier, requestSignal(res));
        if (!o.ok) throw outcomeError(o);
        sendJson(req, res, 204, undefined);
      },
    },
    // idport keeps no sessions for human identities (it is an admin service, not a login
    // server): there are none to list or revoke, for an identity the caller may see.
    {
      verb: 'GET',
      path: '/admin/identities/{id}/sessions',
      permission: KRATOS_PERMISSIONS.read,
      target: 'identity',
      async run({ req, res }) {
        sendJson(req, res, 200, []);
      },
    },
    {
      verb: 'DELETE',
      path: '/admin/identities/{id}/sessions',
      permission: KRATOS_PERMISSIONS.write,
      target: 'identity',
      async run({ req, res }) {
        sendJson(req, res, 204, undefined);
      },
    },
  ];
}
