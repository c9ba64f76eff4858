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
  const exceeded = () => deadlineExceeded('CALL-timeout', `the request's timeout of ${timeout} was exceeded`);
  // Node fires timers no sooner than 1 ms, and not at all while the work only awaits
  // microtasks (PGlite answers queries that way), so a shorter timeout ("1ns", "0") would
  // never fire. It has passed before any work starts, as with Go's context.WithTimeout.
  if (ms < 1) return AbortSignal.any([ctx.signal, AbortSignal.abort(exceeded())]);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(exceeded()), ms);
  timer.unref();
  ctx.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  return AbortSignal.any([ctx.signal, controller.signal]);
}
