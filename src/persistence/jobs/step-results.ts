import type { ItemResult, PackedOutcomes } from '../../application/import/import-report.js';
import { PackedResults, RECORD_FORMAT, type StoredPart } from '../../application/import/packed-results.js';
import type { JsonObject } from '../../domain/json.js';
import type { ResourceType } from '../../domain/resources/kinds.js';

/*
 * How a step's report rows are kept in job_step.results. An org of 100,000 users is 300,000
 * rows. A pass's packed outcomes (packed-results.ts) are kept as they are packed (v3): each run
 * of successes as its org, type, outcome, count and its records' bytes in base64, failures and
 * skips whole; so a checkpoint makes no object or string per resource, and the database reads
 * one string per run, into a json column (Migration20261203140000), where an array of an id and
 * an item per resource was made, sent and parsed into jsonb at every checkpoint (issue 11). Rows given one by one (the tail of unreadable orgs) keep the v2 form:
 * consecutive rows of one org, type and outcome without a message are one group holding their
 * ids and items side by side, the rest whole. Steps written before either (a plain array of
 * rows) are read as they are.
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

export function encodeResults(results: readonly ItemResult[] | PackedOutcomes): StoredResults | StoredRuns {
  if (results instanceof PackedResults) return encodeRuns(results);
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
  return { v: 2, parts };
}

function encodeRuns(results: PackedResults): StoredRuns {
  const parts: (Run | Whole)[] = [];
  for (const part of results.stored()) {
    if ('whole' in part) parts.push({ w: part.whole });
    else parts.push({ r: [part.orgId, part.type, part.outcome, part.count], b: Buffer.from(part.records).toString('base64') });
  }
  return { v: 3, records: RECORD_FORMAT, parts };
}

/**
 * The rows as they were stored, in order: packed as the pass packed them (v3), or as rows;
 * refuses a value none of these formats.
 */
export function decodeResults(stored: unknown): ItemResult[] | PackedResults {
  if (Array.isArray(stored)) return stored as ItemResult[];
  const s = stored as Partial<StoredResults | StoredRuns> | null;
  if (s?.v === 3 && s.records === RECORD_FORMAT && Array.isArray(s.parts)) return decodeRuns(s.parts);
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

function decodeRuns(parts: (Run | Whole)[]): PackedResults {
  const packed = new PackedResults();
  for (const part of parts) {
    if ('w' in part) {
      packed.addStored({ whole: part.w });
      continue;
    }
    const [orgId, type, outcome, count] = part.r;
    const run = {
      orgId,
      type: type as ResourceType,
      outcome: outcome as ItemResult['outcome'],
      count,
      records: Buffer.from(part.b, 'base64'),
    };
    packed.addStored(run satisfies StoredPart);
  }
  return packed;
}
