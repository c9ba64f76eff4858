import { isDomainError } from '../domain/errors.js';
import type { Json } from '../domain/json.js';
import { HttpError } from './http-error.js';
import { BodyError, HTTP_STATUS, matchPath, readJson } from './json-http.js';
import type { NodeServerRequest, NodeServerResponse } from './node-types.js';

/**
 * The small route table the plain-JSON surfaces share (the Kratos admin API, the realm API):
 * a verb and a path pattern per route, the request's pieces handed to the route, and one
 * reading of a thrown error as an HTTP status. Each surface writes its own error body.
 */
export interface RouteCall {
  req: NodeServerRequest;
  res: NodeServerResponse;
  /** The path variables, decoded. */
  vars: Record<string, string>;
  /** The request URL with the host the client used (for Location and Link headers). */
  url: URL;
  /** The body as JSON, read once at most `maxBodyBytes`; an empty body is undefined. */
  body(): Promise<Json | undefined>;
}

export interface JsonRoute<Extra = object> {
  verb: string;
  path: string;
  run(call: RouteCall & Extra): Promise<void>;
}

export type RouteMatch<R> = { route: R; vars: Record<string, string> } | { notFound: true } | { methodNotAllowed: true };

/** The route for `verb` and `pathname`; 404 when no route has the path, 405 when none has the verb. */
export function findRoute<R extends { verb: string; path: string }>(routes: readonly R[], verb: string, pathname: string): RouteMatch<R> {
  let pathKnown = false;
  for (const route of routes) {
    const vars = matchPath(route.path, pathname);
    if (!vars) continue;
    pathKnown = true;
    if (route.verb === verb) return { route, vars };
  }
  return pathKnown ? { methodNotAllowed: true } : { notFound: true };
}

/** What the route needs from a request: its URL as the client addressed it, and its body. */
export function callOf(req: NodeServerRequest, res: NodeServerResponse, vars: Record<string, string>, maxBodyBytes: number): RouteCall {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const host = req.headers.host ?? (req.headers as Record<string, string | undefined>)[':authority'];
  return {
    req,
    res,
    vars,
    url: host ? new URL(`${url.pathname}${url.search}`, `http://${host}`) : url,
    body: () => readJson(req, maxBodyBytes),
  };
}

/**
 * A thrown error as an answer: its status, and a message fit to send (a fault with no name says
 * only that something failed; `internal` tells the caller to log it).
 */
export function faultOf(e: unknown): { status: number; message: string; id?: string; internal: boolean } {
  if (e instanceof HttpError || e instanceof BodyError) return { status: e.status, message: e.message, internal: e.status >= 500 };
  if (isDomainError(e)) {
    const status = HTTP_STATUS[e.kind];
    if (e.kind === 'Internal') return { status, message: 'internal error', internal: true };
    return { status, message: e.message, id: e.id, internal: status >= 500 };
  }
  return { status: 500, message: 'internal error', internal: true };
}
