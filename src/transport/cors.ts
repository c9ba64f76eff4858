import { cors } from '@connectrpc/connect';
import type { NodeServerRequest, NodeServerResponse } from './node-types.js';

type NodeHandler = (req: NodeServerRequest, res: NodeServerResponse) => void;

/**
 * Connect's documented CORS lists (connect-es `cors` export: what connect-web, gRPC-Web and
 * @zitadel/client's web transport send and read) plus the headers ZITADEL clients and idport add.
 */
const ALLOWED_HEADERS = [
  ...cors.allowedHeaders,
  'Authorization',
  'X-Zitadel-Orgid',
  'X-Request-Id',
  'X-Idport-Conflict-Policy',
  'X-Idport-Dry-Run',
];
const EXPOSED_HEADERS = [...cors.exposedHeaders, 'X-Request-Id', 'X-Idport-Error-Id', 'X-Idport-Error-Details'];
// The REST paths also DELETE (google.api.http rules); Connect needs POST, and GET for idempotent calls.
const ALLOWED_METHODS = [...cors.allowedMethods, 'DELETE'];
/** Browsers cap this (Chromium at 2 h); it saves a preflight per call. */
const MAX_AGE_SECONDS = 7200;

/**
 * Answers CORS for an allow-list of origins (`IDPORT_CORS_ORIGINS`; `*` = any). Bearer tokens
 * travel in a header, not cookies, so credentials are never allowed. Requests without an
 * Origin, or from origins not on the list, pass through untouched: the browser then blocks the
 * answer, and non-browser clients never notice. An empty list turns CORS off.
 */
export function withCors(handler: NodeHandler, origins: readonly string[]): NodeHandler {
  if (origins.length === 0) return handler;
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return (req, res) => {
    const origin = req.headers.origin;
    if (origin === undefined || !(any || allowed.has(origin))) {
      if (origin !== undefined && req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
        res.writeHead(403, { vary: 'Origin' });
        res.end();
        return;
      }
      handler(req, res);
      return;
    }
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.writeHead(204, {
        'access-control-allow-methods': ALLOWED_METHODS.join(', '),
        'access-control-allow-headers': ALLOWED_HEADERS.join(', '),
        'access-control-max-age': String(MAX_AGE_SECONDS),
      });
      res.end();
      return;
    }
    res.setHeader('access-control-expose-headers', EXPOSED_HEADERS.join(', '));
    handler(req, res);
  };
}
