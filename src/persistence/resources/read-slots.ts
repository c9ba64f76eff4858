import type { ResourceTransactions } from '../../application/ports.js';
import { resourceExhausted } from '../../domain/errors.js';

/**
 * Connections every pool keeps out of the exports' reach: an export (ExportData, StreamExport)
 * holds one connection for its whole snapshot, so without a reserve a few slow or unread
 * exports took the whole pool and every other call (ListOrgs, health, Kratos reads) waited
 * behind them (issue 9). Two, so a unary call and the readiness probe both still get one.
 */
export const POOL_RESERVE = 2;

/** Hands out at most `size` slots; `acquire` resolves with the function that gives it back. */
export interface Slots {
  acquire(signal: AbortSignal): Promise<() => void>;
}

/**
 * A counting semaphore with a bounded wait: a caller that gets no slot within `waitMs` is
 * refused with RESOURCE_EXHAUSTED (retry later), never left queueing past its usefulness; an
 * aborted caller leaves the queue with its signal's reason.
 */
export function createSlots(size: number, waitMs: number): Slots {
  let free = size;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free += 1;
  };
  const once = () => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      release();
    };
  };
  return {
    acquire(signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      if (free > 0) {
        free -= 1;
        return Promise.resolve(once());
      }
      return new Promise((resolve, reject) => {
        const leave = (error: unknown) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          const at = waiting.indexOf(grant);
          if (at !== -1) waiting.splice(at, 1);
          reject(error);
        };
        const grant = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve(once());
        };
        const onAbort = () => leave(signal.reason);
        const timer = setTimeout(
          () => leave(resourceExhausted('EXPORT-busy', `all ${size} export connections stayed busy for ${waitMs} ms; retry later`)),
          waitMs,
        );
        signal.addEventListener('abort', onAbort, { once: true });
        waiting.push(grant);
      });
    },
  };
}

/**
 * The resource store with its exports limited: a snapshot transaction (ExportData,
 * StreamExport) waits for one of `poolMax − POOL_RESERVE` slots (at least one) for at most
 * `waitMs`. On PGlite (`poolMax` 1), whose one session every call queues for, that is one
 * export at a time, and the others wait here rather than in the session's queue ahead of
 * short calls.
 */
export function limitExports(inner: ResourceTransactions, options: { poolMax: number; waitMs: number }): ResourceTransactions {
  const slots = createSlots(Math.max(1, options.poolMax - POOL_RESERVE), options.waitMs);
  return {
    write: (signal, opts, work) => inner.write(signal, opts, work),
    analyze: () => inner.analyze(),
    async read(signal, work) {
      const release = await slots.acquire(signal);
      try {
        return await inner.read(signal, work);
      } finally {
        release();
      }
    },
  };
}
