import { type Json, type JsonObject, pickPaths, setPath, valueAt } from '../../domain/json.js';
import { KIND_BY_TYPE, type ResourceKind, type ResourceType } from '../../domain/resources/kinds.js';
import { ByteLog, type LogPosition, type LogReader } from './byte-log.js';
import {
  type ItemResult,
  isSuccess,
  type Outcome,
  type PackedOutcomes,
  type ReportPart,
  type ReportRow,
  type ReportRun,
} from './import-report.js';

/** Consecutive successes of one org, kind and outcome, as records in the log from `start` on. */
class Run implements ReportRun {
  count = 0;
  /** Its records' bytes in the log, from the log's size when it began to the size after its last record. */
  from: number;
  to: number;
  constructor(
    readonly orgId: string,
    readonly type: ResourceType,
    readonly outcome: Outcome,
    readonly kind: ResourceKind | undefined,
    private readonly log: ByteLog,
    private readonly start: LogPosition,
  ) {
    this.from = log.size;
    this.to = this.from;
  }

  /** Its records, byte for byte (PackedResults.addStored reads them back). */
  records(): Buffer {
    return this.log.copy(this.from, this.to);
  }

  *rows(): Generator<RunCursor> {
    const cursor = new RunCursor(this, this.log.reader(this.start));
    for (let i = 0; i < this.count; i++) {
      cursor.next();
      yield cursor;
    }
  }
}

/*
 * One record per resource: the id, then each of the kind's summary fields (ResourceKind.summary).
 * The id is one byte when the kind's own id rule gives it back from the summary fields and the
 * org (every composite id: `orgId_projectId_userId` costs nothing); a field is one byte when it
 * is absent, repeats the id, or repeats the field of the resource before (a grant's projectId).
 */
const ID_DERIVED = 0;
const ID_STRING = 1;
const FIELD_ABSENT = 0;
const FIELD_IS_ID = 1;
const FIELD_AS_BEFORE = 2;
const FIELD_STRING = 3;
const FIELD_JSON = 4;

/** UTF-8 cannot hold a lone surrogate: results with one are kept whole. */
const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const encodable = (s: string) => !SURROGATE.test(s) || !LONE_SURROGATE.test(s);

/**
 * The record layout above, for records kept outside the process (job_step.results): change it
 * with any change to the layout, so that records written by another version are refused, not misread.
 */
export const RECORD_FORMAT = 1;

/** A part as kept outside the process: a run as its records' bytes (RECORD_FORMAT), the rest whole. */
export type StoredPart =
  | { whole: ItemResult }
  | { orgId: string; type: ResourceType; outcome: Outcome; count: number; records: Uint8Array };

const summaryOf = (kind: ResourceKind | undefined) => kind?.summary ?? [];

/**
 * An import's outcomes, in order, held compactly: successes packed into runs of byte records
 * (a million created users of one org are one run in a few Buffers, not a million objects or
 * strings), failures and skips kept whole with their messages. Read back as ItemResults one at
 * a time (the iterator), or without an object per resource (parts).
 */
export class PackedResults implements PackedOutcomes {
  private readonly entries: ReportPart[] = [];
  private readonly log = new ByteLog();
  private open: Run | undefined;
  /** The open run's field values of its last record, for FIELD_AS_BEFORE. */
  private before: (Json | undefined)[] = [];
  readonly counts: Record<Outcome, number> = { created: 0, unchanged: 0, updated: 0, skipped: 0, failed: 0 };

  /**
   * `r.item` may hold more than the kind's summary fields (the session passes the whole item, so
   * a packed success is read without an object of its own): only those fields are kept.
   */
  add(r: ItemResult): void {
    this.counts[r.outcome]++;
    const kind = KIND_BY_TYPE.get(r.type);
    const summary = summaryOf(kind);
    const values = summary.map((path) => valueAt(r.item, path));
    if (!isSuccess(r) || r.message !== undefined || !encodable(r.orgId) || !encodable(r.id) || !values.every(encodableValue)) {
      this.entries.push({ whole: { ...r, item: pickPaths(r.item, summary) } });
      this.open = undefined;
      return;
    }
    let run = this.open;
    if (!run || run.orgId !== r.orgId || run.type !== r.type || run.outcome !== r.outcome) {
      run = new Run(r.orgId, r.type, r.outcome, kind, this.log, this.log.position());
      this.entries.push({ run });
      this.open = run;
      this.before = [];
    }
    run.count++;
    const derived = kind !== undefined && kind.id(r.item, r.orgId) === r.id;
    if (derived) this.log.byte(ID_DERIVED);
    else {
      this.log.byte(ID_STRING);
      this.log.string(r.id);
    }
    const id = derived ? undefined : r.id;
    for (let j = 0; j < values.length; j++) {
      const value = values[j];
      this.field(value, id, this.before[j]);
      this.before[j] = value;
    }
    run.to = this.log.size;
  }

  /**
   * The parts to keep elsewhere: a run's records copied out as they are (no object or string
   * per resource), so a job's checkpoint stores a pass without expanding it (issue 11).
   */
  *stored(): Generator<StoredPart> {
    for (const entry of this.entries) {
      if ('whole' in entry) yield entry;
      else if (entry.run instanceof Run) {
        const { orgId, type, outcome, count } = entry.run;
        yield { orgId, type, outcome, count, records: entry.run.records() };
      } else throw new Error('PackedResults.stored: a run packed elsewhere');
    }
  }

  /** Adds a part `stored()` gave (of this RECORD_FORMAT), after those here. */
  addStored(part: StoredPart): void {
    this.open = undefined;
    if ('whole' in part) {
      this.entries.push(part);
      this.counts[part.whole.outcome]++;
      return;
    }
    const kind = KIND_BY_TYPE.get(part.type);
    if (!kind || !isSuccess(part) || !(part.count > 0))
      throw new Error(`PackedResults.addStored: not a run of successes (${part.type} ${part.outcome})`);
    const from = this.log.size;
    const run = new Run(part.orgId, part.type, part.outcome, kind, this.log, this.log.append(part.records));
    run.from = from;
    run.to = this.log.size;
    run.count = part.count;
    this.entries.push({ run });
    this.counts[part.outcome] += part.count;
  }

  private field(value: Json | undefined, id: string | undefined, before: Json | undefined): void {
    if (value === undefined) this.log.byte(FIELD_ABSENT);
    else if (typeof value === 'string' && value === id) this.log.byte(FIELD_IS_ID);
    else if (typeof value === 'string' && value === before) this.log.byte(FIELD_AS_BEFORE);
    else if (typeof value === 'string') {
      this.log.byte(FIELD_STRING);
      this.log.string(value);
    } else {
      this.log.byte(FIELD_JSON);
      this.log.string(JSON.stringify(value));
    }
  }

  /**
   * Another's outcomes after these, as they are packed (its runs keep reading its log). Nothing
   * is added to it afterwards: it is done, like a committed pass.
   */
  addAll(other: PackedOutcomes): void {
    for (const part of other.parts()) this.entries.push(part);
    for (const outcome of Object.keys(this.counts) as Outcome[]) this.counts[outcome] += other.counts[outcome];
    this.open = undefined;
  }

  /** Every outcome in order: runs of packed successes, the rest whole. */
  parts(): Iterable<ReportPart> {
    return this.entries;
  }

  *[Symbol.iterator](): Generator<ItemResult> {
    for (const entry of this.entries) {
      if ('whole' in entry) {
        yield entry.whole;
        continue;
      }
      const run = entry.run;
      for (const row of run.rows()) {
        yield { orgId: run.orgId, type: run.type, id: row.id(), outcome: run.outcome, item: row.item() };
      }
    }
  }
}

function encodableValue(value: Json | undefined): boolean {
  // JSON.stringify escapes lone surrogates (ES2019), so only plain strings need the check.
  return typeof value !== 'string' || encodable(value);
}

/** Reads a run's records one after the other; `id()`, `value()` and `item()` answer for the current one. */
class RunCursor implements ReportRow {
  private readonly orgId: string;
  private readonly paths: readonly string[];
  private readonly values: (Json | undefined)[];
  private explicitId: string | undefined;
  /** The current record's item, once built (id() of a derived id needs it, and so may the caller). */
  private built: JsonObject | undefined;

  constructor(
    private readonly run: Run,
    private readonly reader: LogReader,
  ) {
    this.orgId = run.orgId;
    this.paths = summaryOf(run.kind);
    this.values = this.paths.map(() => undefined);
  }

  next(): void {
    this.built = undefined;
    this.explicitId = this.reader.byte() === ID_STRING ? this.reader.string() : undefined;
    for (let j = 0; j < this.values.length; j++) {
      const tag = this.reader.byte();
      if (tag === FIELD_ABSENT) this.values[j] = undefined;
      else if (tag === FIELD_IS_ID) this.values[j] = this.explicitId;
      else if (tag === FIELD_STRING) this.values[j] = this.reader.string();
      else if (tag === FIELD_JSON) this.values[j] = JSON.parse(this.reader.string()) as Json;
      // FIELD_AS_BEFORE: the value read for the record before stays, the same string.
    }
  }

  id(): string {
    return this.explicitId ?? (this.run.kind as ResourceKind).id(this.item(), this.orgId);
  }

  value(path: string): Json | undefined {
    const j = this.paths.indexOf(path);
    return j < 0 ? undefined : this.values[j];
  }

  /** The item the session recorded: its summary paths, nested as pickPaths nests them. */
  item(): JsonObject {
    if (this.built) return this.built;
    const item: JsonObject = {};
    for (let j = 0; j < this.paths.length; j++) {
      const value = this.values[j];
      if (value !== undefined) setPath(item, this.paths[j] as string, value);
    }
    this.built = item;
    return item;
  }
}
