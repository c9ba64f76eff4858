import type { HandlerContext } from '@connectrpc/connect';
import { parseDuration } from '../domain/duration.js';
import { deadlineExceeded } from '../domain/errors.js';

/**
 * The signal work of one call runs under: the client going away, the protocol deadline, and
 * the request's own `timeout` string (Go duration, as ZITADEL clients send it).
 */
export function callSignal(ctx: HandlerContext, timeout: string): AbortSignal {
  const ms = parseDuration(timeout);
  if (ms === undefined) return ctx.signal;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(deadlineExceeded('CALL-timeout', `the request's timeout of ${timeout} was exceeded`)),
    ms,
  );
  timer.unref();
  ctx.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  return AbortSignal.any([ctx.signal, controller.signal]);
}
