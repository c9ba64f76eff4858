import type { Logger } from './log.js';
import type { Drain } from './transport/drain.js';
import type { RunningServer } from './transport/server.js';

/**
 * Cancelled calls unwind on their own (a transaction rolls back, a GCS upload is aborted);
 * this bounds how long that may take before the database is closed under them anyway.
 */
const CANCEL_WAIT_MS = 10_000;

/**
 * Graceful stop, in Kratos' order: readiness goes NOT_SERVING and new calls are refused, the
 * listener closes (HTTP/2 clients get GOAWAY), calls in flight get `graceMs` to finish, then
 * the rest are cancelled by cutting their connections: their handlers see the call's signal
 * abort, so an import rolls back its open transaction. Returns how many were cancelled.
 */
export async function shutdown(parts: {
  server: RunningServer;
  drain: Drain;
  graceMs: number;
  log: Logger;
  closeDatabase(): Promise<void>;
}): Promise<{ cancelled: number }> {
  const { server, drain, graceMs, log } = parts;
  drain.start();
  server.stopAccepting();
  log.info('shutting down: draining', { inFlight: drain.inFlight, graceMs });
  let cancelled = 0;
  if (!(await drain.idle(graceMs))) {
    cancelled = drain.inFlight;
    log.warn('shutdown grace period over: cancelling calls in flight', { cancelled });
    server.cut();
    if (!(await drain.idle(CANCEL_WAIT_MS))) log.warn('cancelled calls did not end in time', { inFlight: drain.inFlight });
  }
  server.cut();
  await parts.closeDatabase();
  log.info('stopped', { cancelled });
  return { cancelled };
}
