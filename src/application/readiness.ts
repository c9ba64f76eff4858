import type { DatabaseProbe, ReadinessCheck } from './ports.js';

export interface ReadinessStatus {
  ready: boolean;
  /** Names of the checks that failed. */
  failing: string[];
}

/**
 * Readiness: may this process take traffic now? Liveness (is it running at all) is the
 * Healthz RPCs and `/debug/healthz`; readiness is grpc.health and `/debug/ready`, as ZITADEL
 * splits them (`/debug/healthz` vs `/debug/ready`). Checks run in parallel, each bounded by
 * `timeoutMs`, so a black-holed database answers "not ready" instead of hanging the probe.
 * More checks (draining on shutdown) are added with `add`.
 */
export function createReadiness(options: { timeoutMs: number }) {
  const checks: ReadinessCheck[] = [];
  return {
    add(check: ReadinessCheck): void {
      checks.push(check);
    },
    async status(): Promise<ReadinessStatus> {
      const signal = AbortSignal.timeout(options.timeoutMs);
      const results = await Promise.all(
        checks.map(async (c) => {
          const timedOut = new Promise<boolean>((resolve) => signal.addEventListener('abort', () => resolve(false), { once: true }));
          const ok = await Promise.race([c.check(signal).catch(() => false), timedOut]);
          return { name: c.name, ok };
        }),
      );
      const failing = results.filter((r) => !r.ok).map((r) => r.name);
      return { ready: failing.length === 0, failing };
    },
  };
}

export type Readiness = ReturnType<typeof createReadiness>;

/** The database check: it must answer a trivial query. */
export function databaseReadiness(db: DatabaseProbe): ReadinessCheck {
  return {
    name: 'database',
    check: async (signal) => {
      await db.ping(signal);
      return true;
    },
  };
}
