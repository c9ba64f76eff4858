import type { HandlerContext } from '@connectrpc/connect';
import { parseDuration } from '../domain/duration.js';
import { deadlineExceeded } from '../domain/errors.js';
import { setLongTimeout } from './long-timer.js';

/**
 * The signal work of one call runs under: the client going away, the protocol deadline, and
 * the request's own `timeout` string (Go duration, as ZITADEL clients send it).
 */
export function callSignal(ctx: HandlerContext, timeout: string): AbortSignal {
  const ms = parseDuration(timeout);
  if (ms === undefined) return ctx.signal;
  const exceeded = () => deadlineExceeded('CALL-timeout', `the request's timeout of ${timeout} was exceeded`);
  // Node fires a timer 1 ms after it is set at the earliest, so a shorter timeout ("1ns", "0")
  // would still let that much work run. In Go (context.WithTimeout, what ZITADEL does) it has
  // already passed when the work starts, so it is treated as expired at once; so is a
  // negative one, which Go's ParseDuration accepts.
  if (ms < 1) return AbortSignal.any([ctx.signal, AbortSignal.abort(exceeded())]);
  const controller = new AbortController();
  // Chained past Node's 2^31-1 ms timer range, so a long valid timeout is honoured.
  const cancel = setLongTimeout(() => controller.abort(exceeded()), ms);
  ctx.signal.addEventListener('abort', cancel, { once: true });
  return AbortSignal.any([ctx.signal, controller.signal]);
}
