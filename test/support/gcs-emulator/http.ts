/** Request/response helpers shared by the emulator's handlers. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The whole request body, or `undefined` when the client went away before sending all of it.
 * Callers must treat `undefined` as "nothing happened": that is what keeps an aborted upload
 * from ever becoming an object.
 */
export function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('close', () => {
      if (!req.complete) resolve(undefined);
    });
    req.on('error', () => resolve(undefined));
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Length': 0, ...headers });
  res.end();
}

/** The JSON API error envelope; the SDK copies `errors[].reason` onto its ApiError. */
export function sendError(res: ServerResponse, status: number, reason: string, message: string) {
  sendJson(res, status, { error: { code: status, message, errors: [{ domain: 'global', reason, message }] } });
}

export const notFound = (res: ServerResponse, message: string) => sendError(res, 404, 'notFound', message);

/** Base URL as the client sees us, for `Location` and `selfLink`. */
export function baseUrlOf(req: IncomingMessage): string {
  return `http://${req.headers.host ?? '127.0.0.1'}`;
}

/** Optional non-negative integer query parameter; `null` when present but not a number. */
export function intParam(url: URL, name: string): number | undefined | null {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  return /^\d+$/.test(raw) ? Number(raw) : null;
}
