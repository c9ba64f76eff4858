import type { ItemResult, Outcome, PackedOutcomes } from '../import/import-report.js';
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
 * A job's progress as it runs: org passes done of all (one per org, and the later passes its
 * first one left; known once the input is read through), resources per type and outcome, rows per second over this run and an ETA
 * from the rate of org passes. A resumed run starts from the stored counts.
 */
export class ProgressMeter {
  private readonly progress: JobProgress;
  private readonly startedAt = Date.now();
  private rowsThisRun = 0;
  private stepsThisRun = 0;
  stepsDone = 0;
  /** Org passes in the whole job, once known (orgs, and the later passes their first passes left). */
  stepsTotal = 0;
  /** Steps done per pass, and the later ones planned (by the first passes so far). */
  private readonly donePerPass = [0, 0, 0, 0];
  private readonly plannedPerPass = [0, 0, 0, 0];

  constructor(
    start: JobProgress,
    private readonly now: () => number = Date.now,
  ) {
    this.progress = structuredClone(start);
  }

  /** Rows one by one, or a pass's packed outcomes by their runs (no object per success). */
  count(results: readonly ItemResult[] | PackedOutcomes, thisRun: boolean) {
    let rows = 0;
    const add = (type: string, outcome: Outcome, n: number) => {
      let counts = this.progress.resources[type];
      if (!counts) {
        counts = zero();
        this.progress.resources[type] = counts;
      }
      counts[outcome] += n;
      rows += n;
    };
    if ('parts' in results) {
      for (const part of results.parts()) {
        if ('whole' in part) add(part.whole.type, part.whole.outcome, 1);
        else add(part.run.type, part.run.outcome, part.run.count);
      }
    } else for (const r of results) add(r.type, r.outcome, 1);
    if (thisRun) this.rowsThisRun += rows;
  }

  step(pass: number, results: readonly ItemResult[] | PackedOutcomes, replayed: boolean) {
    this.count(results, !replayed);
    this.stepsDone++;
    this.donePerPass[pass] = (this.donePerPass[pass] ?? 0) + 1;
    if (!replayed) this.stepsThisRun++;
    this.progress.pass = pass;
  }

  /** An org's first pass left it these later passes (a new org whose grants were all written: none). */
  planLater(passes: readonly number[]) {
    for (const p of passes) this.plannedPerPass[p] = (this.plannedPerPass[p] ?? 0) + 1;
    if (this.progress.orgsTotal) this.setOrgsTotal(this.progress.orgsTotal);
  }

  setOrgsTotal(orgs: number) {
    this.progress.orgsTotal = orgs;
    this.stepsTotal = orgs + (this.plannedPerPass[2] ?? 0) + (this.plannedPerPass[3] ?? 0);
  }

  /** Every pass is done, including those no org had work left for. */
  passesEnded() {
    if (this.progress.pass > 0) this.progress.pass = 3;
  }

  addBytes(n: number) {
    this.progress.bytes += n;
  }

  snapshot(): JobProgress {
    const seconds = Math.max((this.now() - this.startedAt) / 1000, 0.001);
    const p = this.progress;
    // In a later pass, an org with nothing left for it is done with that pass already.
    const left = (this.plannedPerPass[p.pass] ?? 0) - (this.donePerPass[p.pass] ?? 0);
    p.orgsDone = p.pass <= 1 ? Math.min(this.donePerPass[1] ?? 0, p.orgsTotal || Number.POSITIVE_INFINITY) : p.orgsTotal - left;
    if (p.pass === 0) p.orgsDone = 0;
    p.rowsPerSecond = Math.round((this.rowsThisRun / seconds) * 10) / 10;
    const stepsLeft = this.stepsTotal - this.stepsDone;
    p.etaSeconds = this.stepsTotal && this.stepsThisRun && stepsLeft > 0 ? Math.ceil((stepsLeft * seconds) / this.stepsThisRun) : 0;
    return structuredClone(p);
  }
}
