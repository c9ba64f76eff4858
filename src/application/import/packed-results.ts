import { type Json, type JsonObject, valueAt } from '../../domain/json.js';
import { KIND_BY_TYPE, type ResourceKind, type ResourceType } from '../../domain/resources/kinds.js';
import { ByteLog, type LogPosition, type LogReader } from './byte-log.js';
import { type ItemResult, isSuccess, type Outcome, type ReportPart, type ReportRow, type ReportRun } from './import-report.js';

/** Consecutive successes of one org, kind and outcome, as records in the log from `start` on. */
class Run implements ReportRun {
  count = 0;
  constructor(
    readonly orgId: string,
    readonly type: ResourceType,
    readonly outcome: Outcome,
    readonly kind: ResourceKind | undefined,
    private readonly log: ByteLog,
    private readonly start: LogPosition,
  ) {}

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

const summaryOf = (kind: ResourceKind | undefined) => kind?.summary ?? [];

/**
 * An import's outcomes, in order, held compactly: successes packed into runs of byte records
 * (a million created users of one org are one run in a few Buffers, not a million objects or
 * strings), failures and skips kept whole with their messages. Read back as ItemResults one at
 * a time (the iterator), or without an object per resource (parts).
 */
export class PackedResults implements Iterable<ItemResult> {
  private readonly entries: (Run | ItemResult)[] = [];
  private readonly log = new ByteLog();
  private open: Run | undefined;
  /** The open run's field values of its last record, for FIELD_AS_BEFORE. */
  private before: (Json | undefined)[] = [];
  readonly counts: Record<Outcome, number> = { created: 0, unchanged: 0, updated: 0, skipped: 0, failed: 0 };

  add(r: ItemResult): void {
    this.counts[r.outcome]++;
    const kind = KIND_BY_TYPE.get(r.type);
    const values = summaryOf(kind).map((path) => valueAt(r.item, path));
    if (!isSuccess(r) || r.message !== undefined || !encodable(r.orgId) || !encodable(r.id) || !values.every(encodableValue)) {
      this.entries.push(r);
      this.open = undefined;
      return;
    }
    let run = this.open;
    if (!run || run.orgId !== r.orgId || run.type !== r.type || run.outcome !== r.outcome) {
      run = new Run(r.orgId, r.type, r.outcome, kind, this.log, this.log.position());
      this.entries.push(run);
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
    values.forEach((value, j) => {
      this.field(value, derived ? undefined : r.id, this.before[j]);
      this.before[j] = value;
    });
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

  /** Every outcome in order: runs of packed successes, the rest whole. */
  *parts(): Generator<ReportPart> {
    for (const entry of this.entries) yield entry instanceof Run ? { run: entry } : { whole: entry };
  }

  *[Symbol.iterator](): Generator<ItemResult> {
    for (const entry of this.entries) {
      if (!(entry instanceof Run)) {
        yield entry;
        continue;
      }
      for (const row of entry.rows()) {
        yield { orgId: entry.orgId, type: entry.type, id: row.id(), outcome: entry.outcome, item: row.item() };
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

  constructor(
    private readonly run: Run,
    private readonly reader: LogReader,
  ) {
    this.orgId = run.orgId;
    this.paths = summaryOf(run.kind);
    this.values = this.paths.map(() => undefined);
  }

  next(): void {
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
    const item: JsonObject = {};
    this.paths.forEach((path, j) => {
      const value = this.values[j];
      if (value !== undefined) setPath(item, path, value);
    });
    return item;
  }
}

function setPath(obj: JsonObject, path: string, value: Json): void {
  const parts = path.split('.');
  let target = obj;
  for (const part of parts.slice(0, -1)) {
    target[part] ??= {};
    target = target[part] as JsonObject;
  }
  target[parts[parts.length - 1] as string] = value;
}
