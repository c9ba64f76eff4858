import { createExporter } from './application/export/export-data.js';
import type { ImportDeps } from './application/import/import-data.js';
import { auditExports } from './application/jobs/audited-acts.js';
import { createJobCommands } from './application/jobs/job-commands.js';
import type { AuditStore } from './application/jobs/job-ports.js';
import { createJobRunner } from './application/jobs/job-runner.js';
import { createJobImporter } from './application/jobs/run-import.js';
import type { BlobStorage, ImportFileCodec, ResourceTransactions } from './application/ports.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { JobClaimMeter } from './observability/metrics.js';
import type { RequestSeal } from './persistence/jobs/job-store.js';
import { createJobStore } from './persistence/jobs/job-store.js';
import type { Database } from './persistence/orm.js';
import { createExportPlanner, createImportPlanner } from './transport/idport/job-plans.js';
import { createJobHandlers } from './transport/idport/jobs.handler.js';

/** Bytes written to each target, counted for the job's progress. */
function countingBlobs(blobs: BlobStorage, onBytes: (n: number) => void): BlobStorage {
  return {
    check: (t) => blobs.check(t),
    read: (t, s) => blobs.read(t, s),
    describe: (t, s) => blobs.describe(t, s),
    open: (t, s) => blobs.open(t, s),
    write: (t, chunks, s) =>
      blobs.write(
        t,
        (async function* () {
          for await (const c of chunks) {
            onBytes(c.length);
            yield c;
          }
        })(),
        s,
      ),
  };
}

/** How often the audit retention prune runs. */
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Wires migration jobs (store, runner, handlers) and the audit trail; part of compose.ts. */
export function composeJobs(deps: {
  db: Database;
  /** Seals each job's stored request (its credentials) with the secrets-at-rest key. */
  sealed: RequestSeal;
  tx: ResourceTransactions;
  blobs: BlobStorage;
  hasher: ImportDeps['hasher'];
  config: Config;
  log: Logger;
  codec: ImportFileCodec;
  audit: AuditStore;
  metrics?: JobClaimMeter;
}) {
  const audit = deps.audit;
  const jobs = createJobStore(deps.db, deps.sealed);
  const planImport = createImportPlanner();
  const planExport = createExportPlanner((cmd, onBytes) =>
    auditExports(createExporter({ tx: deps.tx, blobs: countingBlobs(deps.blobs, onBytes) }), audit)(cmd),
  );
  const runner = createJobRunner({
    jobs,
    runImport: createJobImporter({ tx: deps.tx, blobs: deps.blobs, codec: deps.codec, hasher: deps.hasher, jobs, audit }),
    planImport,
    planExport: (request, job) => planExport(request, job),
    owner: deps.config.jobs.replica,
    leaseMs: deps.config.jobs.leaseMs,
    pollMs: deps.config.jobs.pollMs,
    log: deps.log,
    ...(deps.metrics ? { unreadable: (keyId: string) => deps.metrics?.jobRequestUnreadable(keyId) } : {}),
  });
  const commands = createJobCommands({ jobs, audit, queued: () => runner.kick(), watchMs: 250 });
  let pruner: NodeJS.Timeout | undefined;
  const retention = deps.config.auditRetentionMs;
  const prune = () => {
    if (retention === undefined) return;
    audit.prune(new Date(Date.now() - retention)).then(
      (n) => n && deps.log.info('audit events pruned', { count: n }),
      (e) => deps.log.error('audit prune failed', e),
    );
  };
  return {
    audit,
    handlers: createJobHandlers(commands, { planImport, planExport }),
    start() {
      runner.start();
      prune();
      if (retention !== undefined) pruner = setInterval(prune, Math.min(PRUNE_EVERY_MS, retention)).unref();
    },
    async stop() {
      clearInterval(pruner);
      await runner.stop();
    },
  };
}
