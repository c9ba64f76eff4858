import type { ResourceKind } from '../../domain/resources/kinds.js';
import type { BulkWrite } from '../ports.js';
import { type Candidate, storedOf } from './candidates.js';

/**
 * Rows one bulk write takes before it is closed and another opened: its candidates are held
 * until it closes, to be reported, or inserted again in batches if it is refused. It also bounds
 * the rows prepared behind a closing write.
 */
export const SEGMENT_ROWS = 10_000;

/** What the pipeline asks of the org session around it. */
export interface PipelineHooks {
  openBulk(kind: ResourceKind): Promise<BulkWrite>;
  /** Counts on `c` being stored before its write's outcome is known, so that what refers to it can be prepared meanwhile. */
  provisional(kind: ResourceKind, c: Candidate): void;
  /** A held candidate is stored. */
  stored(kind: ResourceKind, c: Candidate): void;
  /** A refused write's candidates, inserted again in batches that name each culprit (batch-write.ts insertAll). */
  retry(kind: ResourceKind, held: readonly Candidate[]): Promise<void>;
  /**
   * After a refused write: candidates prepared behind it, checked again against what it kept.
   * Answers those that still hold; the rest are reported (or deferred, with `deferring`).
   */
  recheck(kind: ResourceKind, candidates: Candidate[], deferring: boolean): Promise<Candidate[]>;
  signal: AbortSignal;
}

interface Segment {
  kind: ResourceKind;
  write: BulkWrite;
  held: Candidate[];
}

interface Closing extends Segment {
  /** Resolves with the error the write was refused with, or undefined once it is stored. */
  done: Promise<unknown>;
  finished: boolean;
}

interface Pending {
  kind: ResourceKind;
  candidates: Candidate[];
  deferring: boolean;
}

/**
 * A fresh org's bulk writes (a COPY each on PostgreSQL), one after the other on the pass's
 * connection, with the next rows prepared while the last write closes. Closing a write waits for
 * the database to store what it has not read yet (and a user's secrets, copied after them): a
 * 200,000-user import waited 4 to 6 s on closes, with node idle (issue 10). So closing starts the
 * write's end and returns; what is held meanwhile waits in `pending` (up to SEGMENT_ROWS rows),
 * and goes into the next write once that close is known.
 *
 * At most one write is open or closing at a time, so the statements never interleave on the
 * connection. What refers to a closing write's rows is checked as if they were stored
 * (`provisional`), but it is only sent once the write's outcome is known; if the write was
 * refused, its rows are retried one batch at a time and what waits behind it is checked again.
 * The outcome is the one a run that waited for each close would report.
 */
export class BulkPipeline {
  private open: Segment | undefined;
  private closing: Closing | undefined;
  private pending: Pending[] = [];
  private pendingRows = 0;

  constructor(private readonly hooks: PipelineHooks) {}

  /** Adds new candidates of `kind`: sent now if a write of that kind is open, else once the write before them has closed. */
  async hold(kind: ResourceKind, candidates: Candidate[], deferring: boolean): Promise<void> {
    if (candidates.length === 0) return;
    for (const c of candidates) this.hooks.provisional(kind, c);
    this.pending.push({ kind, candidates, deferring });
    this.pendingRows += candidates.length;
    await this.pump(false);
    // One event-loop turn: the socket takes only part of what was just sent, and the rest goes
    // out only when the loop gets a turn, so without it the database starves while the next
    // batch is prepared.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Sends everything held and waits for every write to close: before any other statement of the pass. */
  async settle(): Promise<void> {
    await this.pump(true);
    if (this.open) this.rotate();
    if (this.closing) await this.finish();
  }

  /** Drops whatever is open or held, for a pass that is failing: its transaction can then roll back. */
  async abandon(): Promise<void> {
    this.pending = [];
    this.pendingRows = 0;
    const { open, closing } = this;
    this.open = undefined;
    this.closing = undefined;
    await open?.write.abort();
    if (closing) await closing.done;
  }

  /** Moves pending rows into writes; without `force`, returns rather than wait for a close while the pending rows are within bounds. */
  private async pump(force: boolean): Promise<void> {
    while (this.pending.length > 0) {
      const next = this.pending[0] as Pending;
      if (this.open?.kind === next.kind) {
        this.pending.shift();
        this.pendingRows -= next.candidates.length;
        this.open.write.add(next.candidates.map(storedOf));
        this.open.held.push(...next.candidates);
        if (this.open.held.length >= SEGMENT_ROWS) this.rotate();
      } else if (this.open) {
        this.rotate();
      } else if (this.closing) {
        if (!force && !this.closing.finished && this.pendingRows < SEGMENT_ROWS) return;
        await this.finish();
      } else {
        this.open = { kind: next.kind, write: await this.hooks.openBulk(next.kind), held: [] };
      }
    }
  }

  /** Starts closing the open write; its outcome is taken by finish(). */
  private rotate(): void {
    const open = this.open as Segment;
    this.open = undefined;
    const done = open.write.close().then(
      () => undefined,
      (e: unknown) => e ?? new Error('bulk write refused'),
    );
    const closing: Closing = { ...open, done, finished: false };
    void done.then(() => {
      closing.finished = true;
    });
    this.closing = closing;
  }

  /** Waits for the closing write and reports it: stored, or retried batch by batch, with what waits behind it checked again. */
  private async finish(): Promise<void> {
    const closing = this.closing as Closing;
    this.closing = undefined;
    const refusal = await closing.done;
    if (refusal === undefined) {
      for (const c of closing.held) this.hooks.stored(closing.kind, c);
      return;
    }
    if (this.hooks.signal.aborted) throw refusal;
    await this.hooks.retry(closing.kind, closing.held);
    for (const p of this.pending) {
      const kept = await this.hooks.recheck(p.kind, p.candidates, p.deferring);
      this.pendingRows -= p.candidates.length - kept.length;
      p.candidates = kept;
    }
    this.pending = this.pending.filter((p) => p.candidates.length > 0);
  }
}
