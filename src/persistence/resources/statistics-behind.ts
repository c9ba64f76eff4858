import type { ResourceTransactions } from '../../application/ports.js';

/**
 * The resource store with its planner statistics refreshed behind the calls: `analyze()`
 * answers at once and ANALYZE runs on its own connection meanwhile. An import's data is
 * committed before it asks, so its answer need not wait: at 200,000 users the answer's
 * encoding (about 0.5 s of Node) and ANALYZE (about 0.4 s of PostgreSQL) ran one after the
 * other, each side idle while the other worked (a CPU profile of `npm run bench --
 * --import-only`, issue 10).
 *
 * What ANALYZE is for still holds: a snapshot read (an export) waits for a refresh in flight,
 * so it is planned with the new statistics (without them an export right after a big import
 * ran 5× slower); wrapped around the export limit (read-slots.ts), it waits before it takes
 * an export slot. Refreshes run one after the other, and one asked for while another runs is
 * run again after it (that one may have sampled before the new rows committed); more asks
 * meanwhile share that second run. A failed ANALYZE is handed to `onError` (logged): the import
 * it follows has succeeded. `settled()` is for closing: the database must outlive the last one.
 */
export function refreshStatisticsBehind(
  inner: ResourceTransactions,
  onError: (e: unknown) => void,
): ResourceTransactions & { settled(): Promise<void> } {
  /** The last refresh asked for, running or waiting for the one before; never rejects. */
  let last: Promise<void> = Promise.resolve();
  /** Refreshes asked for and not done yet. */
  let pending = 0;
  /** Whether `last` is still waiting for the one before to end (then a new ask shares it). */
  let queued = false;
  const refresh = () => {
    queued = false;
    return inner.analyze().catch(onError);
  };
  return {
    write: (signal, options, work) => inner.write(signal, options, work),
    analyze() {
      if (queued) return Promise.resolve();
      queued = pending > 0;
      pending++;
      last = (pending > 1 ? last.then(refresh) : refresh()).finally(() => {
        pending--;
      });
      return Promise.resolve();
    },
    async read(signal, work) {
      if (pending > 0) await last;
      return inner.read(signal, work);
    },
    async settled() {
      // A refresh asked for while waiting (a job's last step) is waited for too.
      while (pending > 0) await last;
    },
  };
}
