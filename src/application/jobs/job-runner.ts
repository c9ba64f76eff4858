import { DomainError, deadlineExceeded } from '../../domain/errors.js';
import type { ImportCommand } from '../import/import-data.js';
import type { ItemResult } from '../import/import-report.js';
import { CheckpointRefused, type JobRecord, JobRequestUnreadable, type JobStore } from './job-ports.js';
import { emptyProgress, ProgressMeter } from './job-progress.js';
import type { ImportJobRun } from './run-import.js';

/** What a stored import request means: built by the transport layer, which knows the wire shapes. */
export type ImportPlan = Omit<ImportCommand, 'signal'> & { timeoutMs?: number };
export interface ExportPlan {
  timeoutMs?: number;
  run(signal: AbortSignal, onBytes: (n: number) => void): Promise<{ orgCount: number }>;
}

export interface JobRunnerDeps {
  jobs: JobStore;
  runImport(run: ImportJobRun): Promise<{ tail: ItemResult[] }>;
  planImport(request: JobRecord['request']): ImportPlan;
  planExport(request: JobRecord['request'], job: JobRecord): ExportPlan;
  /** This replica's name: lease owner and the job's `replica`. */
  owner: string;
  leaseMs: number;
  /** How often an idle replica looks for queued jobs. */
  pollMs: number;
  log: {
    info(m: string, f?: Record<string, unknown>): void;
    error(m: string, cause?: unknown, f?: Record<string, unknown>): void;
  };
  /** Each poll that found a queued job this replica's keys cannot open (for /metrics). */
  unreadable?(keyId: string): void;
  /** Milliseconds now; tests pass a fake clock. */
  now?(): number;
}

/** How long a job this replica cannot open stays quiet in the log before it is named again. */
export const UNREADABLE_LOG_EVERY_MS = 10 * 60 * 1000;

/**
 * Logs a job whose request this replica cannot open once, not on every poll (IDPORT_JOB_POLL):
 * again only after UNREADABLE_LOG_EVERY_MS, or when the key it needs changes (another replica
 * re-sealed it). The line names the job and key ids, never a key or the request.
 */
function unreadableLog(deps: JobRunnerDeps) {
  const now = deps.now ?? Date.now;
  const told = new Map<string, { keyId: string; at: number }>();
  return (e: JobRequestUnreadable) => {
    const keyId = e.keyId ?? '';
    deps.unreadable?.(keyId);
    const last = told.get(e.jobId);
    const at = now();
    if (last && last.keyId === keyId && at - last.at < UNREADABLE_LOG_EVERY_MS) return;
    // Only the newest jobs are kept: the map stays small however many jobs come and go.
    if (told.size >= 1000) told.delete(told.keys().next().value as string);
    told.delete(e.jobId);
    told.set(e.jobId, { keyId, at });
    deps.log.error(
      `job ${e.jobId} stays queued: this replica cannot open its request; give every replica the key ${keyId || '(unknown)'} in IDPORT_SECRETS_KEY or IDPORT_SECRETS_OLD_KEYS`,
      undefined,
      { job: e.jobId, keyId, repeatsAfterMs: UNREADABLE_LOG_EVERY_MS },
    );
  };
}

class Stop extends Error {
  constructor(readonly why: 'cancelled' | 'lease-lost' | 'shutdown') {
    super(why);
  }
}

/**
 * Runs jobs, one at a time per replica: claims the oldest queued job (or one whose lease
 * lapsed), renews its lease every third of the lease while it runs, and ends it. A stopped
 * replica's job is taken over by the next replica that finds its lease expired; a resumed
 * import replays the committed steps and goes on from the first one that is not.
 */
export function createJobRunner(deps: JobRunnerDeps) {
  let stopping = false;
  let wake: (() => void) | undefined;
  let current: AbortController | undefined;
  let loop: Promise<void> | undefined;
  const unreadable = unreadableLog(deps);

  const deadlineOf = (job: JobRecord): Date | null => {
    try {
      const ms = job.kind === 'import' ? deps.planImport(job.request).timeoutMs : deps.planExport(job.request, job).timeoutMs;
      return ms === undefined ? null : new Date(Date.now() + ms);
    } catch {
      return null;
    }
  };

  async function runOne(job: JobRecord): Promise<void> {
    const controller = new AbortController();
    current = controller;
    const timers: NodeJS.Timeout[] = [];
    if (job.deadlineAt) {
      const left = job.deadlineAt.getTime() - Date.now();
      const expire = () => controller.abort(deadlineExceeded('JOB-timeout', "the job's timeout was exceeded"));
      if (left <= 0) expire();
      else timers.push(setTimeout(expire, left));
    }
    const beat = setInterval(
      () => {
        deps.jobs.renew(job.id, deps.owner, deps.leaseMs).then(
          (r) => {
            if (!r.held) controller.abort(new Stop('lease-lost'));
            else if (r.cancelRequested) controller.abort(new Stop('cancelled'));
          },
          (e) => deps.log.error(`job ${job.id}: lease renewal failed`, e),
        );
      },
      Math.max(Math.floor(deps.leaseMs / 3), 10),
    );
    timers.push(beat);
    const meter = new ProgressMeter(emptyProgress());
    const end = (state: 'succeeded' | 'failed' | 'cancelled', error = '', tail?: ItemResult[]) =>
      deps.jobs.finish(job.id, deps.owner, {
        state,
        error,
        // A resumed run that ends before replaying a step (its file changed, say) keeps the
        // progress the committed steps reached, rather than reading as if nothing was done.
        progress: meter.stepsDone === 0 && job.stepsDone > 0 ? job.progress : meter.snapshot(),
        ...(tail?.length ? { tail: { step: 1_000_000_000, pass: 0, orgId: '', results: tail, state: {} } } : {}),
      });
    try {
      if (job.cancelRequested) throw new Stop('cancelled');
      if (job.kind === 'import') {
        const plan = deps.planImport(job.request);
        const { tail } = await deps.runImport({
          jobId: job.id,
          owner: deps.owner,
          principal: job.principal,
          source: job.source,
          replayed: job.stepsDone,
          recordedSource: job.sourceFingerprint,
          meter,
          command: { source: plan.source, conflictPolicy: plan.conflictPolicy, dryRun: plan.dryRun, signal: controller.signal },
        });
        await end('succeeded', '', tail);
      } else {
        const plan = deps.planExport(job.request, job);
        const result = await plan.run(controller.signal, (n) => meter.addBytes(n));
        meter.setOrgsTotal(result.orgCount);
        meter.stepsDone = result.orgCount * 3;
        await end('succeeded');
      }
    } catch (e) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : e;
      const why = reason instanceof Stop ? reason.why : e instanceof CheckpointRefused ? e.reason : undefined;
      if (why === 'cancelled') await end('cancelled');
      else if (why === undefined) {
        const message = reason instanceof DomainError || reason instanceof Error ? reason.message : String(reason);
        if (!(reason instanceof DomainError)) deps.log.error(`job ${job.id} failed`, reason);
        await end('failed', message);
      }
      // Lease lost: another replica has it. Shutdown: let the lease go now, so another replica
      // (or this one, restarted) goes on from the checkpoint without waiting for it to lapse.
      if (why === 'shutdown') await deps.jobs.renew(job.id, deps.owner, 1).catch(() => undefined);
    } finally {
      for (const t of timers) clearTimeout(t);
      current = undefined;
    }
  }

  async function run() {
    while (!stopping) {
      let job: JobRecord | undefined;
      try {
        job = await deps.jobs.claim(deps.owner, deps.leaseMs, deadlineOf);
      } catch (e) {
        if (e instanceof JobRequestUnreadable) unreadable(e);
        else deps.log.error('claiming a job failed', e);
      }
      if (job) {
        deps.log.info('job claimed', { job: job.id, kind: job.kind, resumedAt: job.stepsDone, takeovers: job.takeovers });
        await runOne(job);
        continue;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deps.pollMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  return {
    start() {
      loop ??= run();
    },
    /** A job was queued here: look now rather than at the next poll. */
    kick() {
      wake?.();
    },
    /** Stops claiming; a running job is interrupted (its open org rolls back) and left to resume. */
    async stop() {
      stopping = true;
      current?.abort(new Stop('shutdown'));
      wake?.();
      await loop;
    },
  };
}
