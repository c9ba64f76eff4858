import type { Authorize } from '../../application/access/authorize.js';
import type { IdentityScope } from '../../application/kratos/identity-scope.js';
import type { KratosIdentities } from '../../application/kratos/kratos-identities.js';
import type { Principal } from '../../domain/permissions.js';
import { sendJson } from '../json-http.js';
import { callOf, faultOf, findRoute } from '../json-routes.js';
import type { NodeServerRequest, NodeServerResponse } from '../node-types.js';
import { kratosErrorBody } from './kratos-errors.js';
import { kratosRoutes } from './kratos-routes.js';

export { KRATOS_PERMISSIONS, NOT_CARRIED_HEADER } from './kratos-routes.js';

/**
 * Kratos' admin identity API at Kratos' own paths and JSON shapes (ory/kratos `spec/api.json`),
 * so Ory's generated clients work unchanged. Kratos' admin API has no auth of its own (it is
 * meant to sit behind a gateway); idport requires its bearer token, maps each operation to a
 * permission and scopes it by org. Authorisation happens before the body is read.
 */
export interface KratosHandlerOptions {
  identities: KratosIdentities;
  scope: IdentityScope;
  authorize: Authorize;
  maxBodyBytes: number;
  onUnexpected(message: string, cause: unknown): void;
}

export function createKratosHandler(options: KratosHandlerOptions) {
  const routes = kratosRoutes(options.identities, options.scope);

  /** Serves a Kratos admin path; false when the request is not one (the next fallback tries). */
  return async function serveKratos(req: NodeServerRequest, res: NodeServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/admin/identities')) return false;
    const verb = (req.method ?? 'GET').toUpperCase();
    const found = findRoute(routes, verb, url.pathname);
    if (!('route' in found)) {
      const status = 'methodNotAllowed' in found ? 405 : 404;
      sendJson(req, res, status, kratosErrorBody(status, `${verb} ${url.pathname} is not served`));
      return true;
    }
    const { route, vars } = found;
    try {
      const access = await options.authorize({
        authorization: req.headers.authorization ?? null,
        permission: route.permission,
        orgScope: 'any',
      });
      const caller = access.principal as Principal;
      if (route.target) await options.scope.target(caller, vars.id ?? '', route.permission, route.target === 'remove');
      await route.run({ ...callOf(req, res, vars, options.maxBodyBytes), caller });
    } catch (e) {
      const fault = faultOf(e);
      if (fault.internal) options.onUnexpected(`${verb} ${url.pathname} failed`, e);
      const detail = e instanceof Error && 'detail' in e && typeof e.detail === 'string' ? e.detail : undefined;
      sendJson(req, res, fault.status, kratosErrorBody(fault.status, fault.message, fault.id, detail));
    }
    return true;
  };
}
