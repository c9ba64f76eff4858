import type { ErrorKind } from '../domain/errors.js';
import type { Json } from '../domain/json.js';
import { closeIfBodyUnread, type NodeServerRequest, type NodeServerResponse } from './node-types.js';

/**
 * Plumbing shared by the plain JSON REST surfaces that are not proto-based (the Kratos admin API,
 * the realm API): body limits, JSON parsing, answers, and a signal that aborts when the client
 * goes away.
 */

/** The request could not be read as JSON: `status` is what to answer (400 or 413). */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

/** Reads the whole body (at most `maxBytes`) and parses it; an empty body is `undefined`. */
export async function readJson(req: NodeServerRequest, maxBytes: number): Promise<Json | undefined> {
  const raw = await readRaw(req, maxBytes);
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as Json;
  } catch {
    throw new BodyError(400, 'request body is not valid JSON');
  }
}

/** The body as bytes, at most `maxBytes`. */
export async function readRaw(req: NodeServerRequest, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new BodyError(413, `request body exceeds ${maxBytes} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  req: NodeServerRequest,
  res: NodeServerResponse,
  status: number,
  body: Json | undefined,
  headers: Record<string, string> = {},
): void {
  closeIfBodyUnread(req, res);
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Aborts when the client disconnects before the answer is sent. */
export function requestSignal(res: NodeServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client went away'));
  });
  return controller.signal;
}

/** HTTP status per DomainError kind, by meaning (never 500 for a fault with a name). */
export const HTTP_STATUS: Record<ErrorKind, number> = {
  InvalidArgument: 400,
  NotFound: 404,
  AlreadyExists: 409,
  PermissionDenied: 403,
  Unauthenticated: 401,
  DeadlineExceeded: 504,
  Unavailable: 503,
  ResourceExhausted: 429,
  FailedPrecondition: 400,
  Aborted: 409,
  Internal: 500,
};

/** Matches `pattern` (`/admin/identities/{id}`) against a path; the variables, decoded, or undefined. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const names: string[] = [];
  const source = pattern.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  const m = new RegExp(`^${source}$`).exec(path);
  if (!m) return undefined;
  try {
    return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')]));
  } catch {
    return undefined;
  }
}
