import type { ItemResult, Outcome } from '../import/import-report.js';
import type { JobProgress, OutcomeCounts } from './job-ports.js';

export const emptyProgress = (): JobProgress => ({
  orgsDone: 0,
  orgsTotal: 0,
  pass: 0,
  resources: {},
  rowsPerSecond: 0,
  bytes: 0,
  etaSeconds: 0,
});

const zero = (): OutcomeCounts => ({ created: 0, unchanged: 0, updated: 0, skipped: 0, failed: 0 });

/**
 * A job's progress as it runs: org passes done of all (three per org, known once the input is
 * read through), resources per type and outcome, rows per second over this run and an ETA
 * from the rate of org passes. A resumed run starts from the stored counts.
 */
export class ProgressMeter {
  private readonly progress: JobProgress;
  private readonly startedAt = Date.now();
  private rowsThisRun = 0;
  private stepsThisRun = 0;
  stepsDone = 0;
  /** Org passes in the whole job, once known (3 × orgs). */
  stepsTotal = 0;

  constructor(
    start: JobProgress,
    private readonly now: () => number = Date.now,
  ) {
    this.progress = structuredClone(start);
  }

  count(results: readonly ItemResult[], thisRun: boolean) {
    for (const r of results) {
      let counts = this.progress.resources[r.type];
      if (!counts) {
        counts = zero();
        this.progress.resources[r.type] = counts;
      }
      counts[r.outcome as Outcome]++;
    }
    if (thisRun) this.rowsThisRun += results.length;
  }

  step(pass: number, results: readonly ItemResult[], replayed: boolean) {
    this.count(results, !replayed);
    this.stepsDone++;
    if (!replayed) this.stepsThisRun++;
    this.progress.pass = pass;
  }

  setOrgsTotal(orgs: number) {
    this.progress.orgsTotal = orgs;
    this.stepsTotal = orgs * 3;
  }

  addBytes(n: number) {
    this.progress.bytes += n;
  }

  snapshot(): JobProgress {
    const seconds = Math.max((this.now() - this.startedAt) / 1000, 0.001);
    const p = this.progress;
    p.orgsDone = p.orgsTotal ? Math.min(this.stepsDone - (p.pass - 1) * p.orgsTotal, p.orgsTotal) : this.stepsDone;
    if (p.pass === 0) p.orgsDone = 0;
    p.rowsPerSecond = Math.round((this.rowsThisRun / seconds) * 10) / 10;
    const left = this.stepsTotal - this.stepsDone;
    p.etaSeconds = this.stepsTotal && this.stepsThisRun && left > 0 ? Math.ceil((left * seconds) / this.stepsThisRun) : 0;
    return structuredClone(p);
  }
}
