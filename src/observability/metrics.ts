import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Calls by method, protocol and code, as the access wrapper reports them. */
export interface CallMetrics {
  observeCall(call: { method: string; protocol: string; code: string; durationSeconds: number }): void;
}

/** Rows and bytes moved per resource kind (`human_users`, `projects`, …). */
export interface TransferMeter {
  transferred(direction: 'import' | 'export', kind: string, rows: number, bytes: number): void;
}

export interface PoolStats {
  max: number;
  total: number;
  idle: number;
  waiting: number;
}

/** Polls that found a queued job this replica's secrets keys cannot open, by the key id it needs. */
export interface JobClaimMeter {
  jobRequestUnreadable(keyId: string): void;
}

export interface Metrics extends CallMetrics, TransferMeter, JobClaimMeter {
  /** The Prometheus text exposition of every metric. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** Background job states; idport runs every import and export inside its call for now. */
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

/**
 * One prom-client registry per app (tests run several apps in one process). Names follow
 * Prometheus' conventions: `_total` counters, `_seconds` histograms, base units.
 */
export function createMetrics(options: {
  poolStats(): Promise<PoolStats>;
  inFlight(): number;
  /** Jobs in the database by state (all replicas' jobs); left out, every state reads 0. */
  jobCounts?(): Promise<Partial<Record<(typeof JOB_STATES)[number], number>>>;
}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const calls = new Counter({
    name: 'idport_calls_total',
    help: 'Finished calls, by RPC method (REST paths under their RPC), protocol and gRPC code.',
    labelNames: ['method', 'protocol', 'code'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'idport_call_duration_seconds',
    help: 'Call latency from the first request byte to the last response byte.',
    labelNames: ['method', 'protocol', 'code'],
    // Sub-millisecond health checks up to imports that run for many minutes.
    buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30, 120, 600, 1800],
    registers: [registry],
  });
  const rows = new Counter({
    name: 'idport_resources_total',
    help: 'Resources written by imports (committed only) or read by exports, by kind.',
    labelNames: ['direction', 'kind'],
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'idport_resource_bytes_total',
    help: 'Proto-JSON bytes of the resources counted in idport_resources_total.',
    labelNames: ['direction', 'kind'],
    registers: [registry],
  });
  const unreadable = new Counter({
    name: 'idport_job_requests_unreadable_total',
    help: "Job polls that left a queued job queued because this replica's secrets keys cannot open its request, by the key id it needs (replicas must share IDPORT_SECRETS_KEY).",
    labelNames: ['key_id'],
    registers: [registry],
  });
  new Gauge({
    name: 'idport_jobs',
    help: 'Migration jobs by state, as the database holds them (shared by every replica).',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = (await options.jobCounts?.()) ?? {};
      for (const state of JOB_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'idport_db_pool_connections',
    help: 'Database connections: max (configured), total (open), idle, and waiting (callers queued for one).',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const s = await options.poolStats();
      for (const state of ['max', 'total', 'idle', 'waiting'] as const) this.set({ state }, s[state]);
    },
  });
  new Gauge({
    name: 'idport_calls_in_flight',
    help: 'RPCs being served now (what a graceful shutdown waits for).',
    registers: [registry],
    collect() {
      this.set(options.inFlight());
    },
  });
  return {
    observeCall({ method, protocol, code, durationSeconds }) {
      calls.inc({ method, protocol, code });
      latency.observe({ method, protocol, code }, durationSeconds);
    },
    transferred(direction, kind, n, size) {
      rows.inc({ direction, kind }, n);
      bytes.inc({ direction, kind }, size);
    },
    jobRequestUnreadable(keyId) {
      unreadable.inc({ key_id: keyId });
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
