import type { ItemResult, PackedOutcomes } from '../../application/import/import-report.js';
import { PackedResults, RECORD_FORMAT, type StoredPart } from '../../application/import/packed-results.js';
import type { JsonObject } from '../../domain/json.js';
import type { ResourceType } from '../../domain/resources/kinds.js';

/*
 * How a step's report rows are kept in job_step.results (and .records). An org of 100,000 users
 * is 300,000 rows. A pass's packed outcomes (packed-results.ts) are kept as they are packed
 * (v4): each run of successes as its org, type, outcome, count and the length of its records,
 * whose bytes go side by side into job_step.records (Migration20261204200000, a binary
 * parameter), failures and skips whole; so a checkpoint makes no object or string per resource.
 * Read back as well: v3 (the same runs with their records in base64 inside the JSON, which made
 * a base64 text, a JSON text and the parameter's bytes of them: about 30 MB of a job's peak RSS
 * with 100,000 users in one org); v2, for rows given one by one (the tail of unreadable orgs,
 * still written so): consecutive rows of one org, type and outcome without a message are one
 * group holding their ids and items side by side, the rest whole; and a plain array of rows.
 */

interface Group {
  /** [orgId, type, outcome] shared by the group's rows. */
  g: [string, string, string];
  ids: string[];
  items: JsonObject[];
}
interface Whole {
  w: ItemResult;
}
interface Run {
  /** [orgId, type, outcome, count] of the run. */
  r: [string, string, string, number];
  /** Its records (RECORD_FORMAT), base64. */
  b: string;
}
export interface StoredResults {
  v: 2;
  parts: (Group | Whole)[];
}
interface StoredRuns {
  v: 3;
  /** packed-results.ts RECORD_FORMAT of the runs' bytes. */
  records: number;
  parts: (Run | Whole)[];
}
/** A run whose records are in job_step.records (v4): [orgId, type, outcome, count, bytes]. */
interface RunAside {
  a: [string, string, string, number, number];
}
interface RunsAside {
  v: 4;
  /** packed-results.ts RECORD_FORMAT of the records. */
  records: number;
  parts: (RunAside | Whole)[];
}

/**
 * A step's results as stored: the results JSON, and for packed outcomes (v4) the runs' records
 * side by side as bytes for job_step.records, each run naming its length.
 */
export function encodeResults(results: readonly ItemResult[] | PackedOutcomes): {
  results: StoredResults | RunsAside;
  records?: Buffer;
} {
  if (results instanceof PackedResults) return encodeRunsAside(results);
  const parts: (Group | Whole)[] = [];
  let open: Group | undefined;
  for (const r of results) {
    if (r.message !== undefined) {
      parts.push({ w: r });
      open = undefined;
      continue;
    }
    if (!open || open.g[0] !== r.orgId || open.g[1] !== r.type || open.g[2] !== r.outcome) {
      open = { g: [r.orgId, r.type, r.outcome], ids: [], items: [] };
      parts.push(open);
    }
    open.ids.push(r.id);
    open.items.push(r.item);
  }
  return { results: { v: 2, parts } };
}

function encodeRunsAside(results: PackedResults): { results: RunsAside; records: Buffer } {
  const parts: (RunAside | Whole)[] = [];
  const records: Uint8Array[] = [];
  for (const part of results.stored()) {
    if ('whole' in part) parts.push({ w: part.whole });
    else {
      parts.push({ a: [part.orgId, part.type, part.outcome, part.count, part.records.length] });
      records.push(part.records);
    }
  }
  return { results: { v: 4, records: RECORD_FORMAT, parts }, records: Buffer.concat(records) };
}

/**
 * The rows as they were stored, in order: packed as the pass packed them (v4 with `records`, or
 * v3), or as rows; refuses a value none of these formats.
 */
export function decodeResults(stored: unknown, records?: Uint8Array | null): ItemResult[] | PackedResults {
  if (Array.isArray(stored)) return stored as ItemResult[];
  const s = stored as Partial<StoredResults | StoredRuns | RunsAside> | null;
  if (s?.v === 4 && s.records === RECORD_FORMAT && Array.isArray(s.parts)) {
    if (!records) throw new Error('job_step.records: missing for a step whose runs are kept there (the row is damaged)');
    return packedOf(s.parts, recordsAside(records));
  }
  if (s?.v === 3 && s.records === RECORD_FORMAT && Array.isArray(s.parts)) return packedOf(s.parts, (p: Run) => Buffer.from(p.b, 'base64'));
  if (s?.v !== 2 || !Array.isArray(s.parts)) {
    throw new Error('job_step.results: written by a newer idport version (unknown format); read it with that version');
  }
  const out: ItemResult[] = [];
  for (const part of s.parts) {
    if ('w' in part) {
      out.push(part.w);
      continue;
    }
    const [orgId, type, outcome] = part.g;
    part.ids.forEach((id, i) => {
      out.push({ orgId, type, id, outcome, item: part.items[i] ?? {} } as ItemResult);
    });
  }
  return out;
}

/** v4: each run's records are the next `length` bytes of job_step.records. */
function recordsAside(records: Uint8Array): (p: RunAside) => Uint8Array {
  const bytes = Buffer.from(records.buffer, records.byteOffset, records.byteLength);
  let at = 0;
  return (p) => {
    const length = p.a[4];
    if (at + length > bytes.length) throw new Error('job_step.records: shorter than its runs say (the row is damaged)');
    at += length;
    return bytes.subarray(at - length, at);
  };
}

/** Packed outcomes of stored parts (v3 or v4), in order; `recordsOf` gives each run's records. */
function packedOf<R extends Run | RunAside>(parts: (R | Whole)[], recordsOf: (p: R) => Uint8Array): PackedResults {
  const packed = new PackedResults();
  for (const part of parts) {
    if ('w' in part) {
      packed.addStored({ whole: part.w });
      continue;
    }
    const [orgId, type, outcome, count] = 'r' in part ? part.r : part.a;
    const run = {
      orgId,
      type: type as ResourceType,
      outcome: outcome as ItemResult['outcome'],
      count,
      records: recordsOf(part as R),
    };
    packed.addStored(run satisfies StoredPart);
  }
  return packed;
}
