import type { Json, JsonObject } from '../../domain/json.js';
import type { ResourceType } from '../../domain/resources/kinds.js';

/** What happened to one resource of an import. */
export type Outcome = 'created' | 'unchanged' | 'updated' | 'skipped' | 'failed';

export interface ItemResult {
  orgId: string;
  /** ImportDataError.type, e.g. "human_user". */
  type: ResourceType;
  /** ZITADEL's composite id, e.g. "projectId_roleKey". */
  id: string;
  outcome: Outcome;
  /** Why it failed or was skipped. */
  message?: string;
  /** The fields that name the resource (ResourceKind.summary), for success lists. */
  item: JsonObject;
}

export interface ImportReport {
  dryRun: boolean;
  /** How many resources ended in each outcome. */
  counts: Readonly<Record<Outcome, number>>;
  /** Every resource's outcome in order, expanded one at a time from the packed report (packed-results.ts). */
  each(): Iterable<ItemResult>;
  /** The same as one array, built when read: for small imports (the Kratos and realm APIs). */
  readonly results: ItemResult[];
  /**
   * Every outcome in order without an object per success: runs of packed successes (each
   * readable any number of times), and the results kept whole.
   */
  parts(): Iterable<ReportPart>;
}

/** Outcomes in order, packed (packed-results.ts): each one expanded, or the packed parts as they are. */
export interface PackedOutcomes extends Iterable<ItemResult> {
  readonly counts: Readonly<Record<Outcome, number>>;
  parts(): Iterable<ReportPart>;
}

/** A failure, a skip, or a success kept whole (one with a message); or a run of packed successes. */
export type ReportPart = { whole: ItemResult } | { run: ReportRun };

/** Consecutive successes of one org, kind and outcome. */
export interface ReportRun {
  readonly orgId: string;
  readonly type: ResourceType;
  readonly outcome: Outcome;
  readonly count: number;
  /** Its rows from the first: one reused cursor, so keep what a row answers, never the row itself. */
  rows(): Iterable<ReportRow>;
}

/** One success of a packed run, read in place. */
export interface ReportRow {
  id(): string;
  /** The value of one of the kind's summary paths (ResourceKind.summary), e.g. "projectGrant.projectId". */
  value(path: string): Json | undefined;
  /** The whole ItemResult.item, built when asked. */
  item(): JsonObject;
}

export const isSuccess = (r: { outcome: Outcome }) => r.outcome === 'created' || r.outcome === 'unchanged' || r.outcome === 'updated';

/**
 * What committed so far, counted as outcomes go to the sink: small enough for a deadline
 * error's details, whatever the size of the import.
 */
export class ImportTally {
  committed = 0;
  failed = 0;
  readonly committedByType: Record<string, number> = {};

  count(r: ItemResult): void {
    if (!isSuccess(r)) {
      this.failed++;
      return;
    }
    this.committed++;
    this.committedByType[r.type] = (this.committedByType[r.type] ?? 0) + 1;
  }

  /** A pass's outcomes, counted by their packed runs. */
  countAll(results: PackedOutcomes): void {
    for (const part of results.parts()) {
      if ('whole' in part) this.count(part.whole);
      else if (isSuccess(part.run)) {
        this.committed += part.run.count;
        this.committedByType[part.run.type] = (this.committedByType[part.run.type] ?? 0) + part.run.count;
      } else this.failed += part.run.count;
    }
  }

  /** The counts a deadline error carries. */
  counts(): { committed: number; failed: number } {
    return { committed: this.committed, failed: this.failed };
  }
}
