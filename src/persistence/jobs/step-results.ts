import type { ItemResult } from '../../application/import/import-report.js';
import type { JsonObject } from '../../domain/json.js';

/*
 * How a step's report rows are kept in job_step.results (jsonb). An org of 100,000 users is
 * 300,000 rows: as one object each, the org, type and outcome repeat in every one, and PostgreSQL
 * parses and stores them all. Here consecutive rows of one org, type and outcome without a
 * message are one group holding their ids and items side by side; rows with a message (failures,
 * skips) are kept whole. Steps written before this (a plain array of rows) are read as they are.
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
export interface StoredResults {
  v: 2;
  parts: (Group | Whole)[];
}

export function encodeResults(results: Iterable<ItemResult>): StoredResults {
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

/** The rows as they were stored, in order; refuses a value neither this format nor the old one. */
export function decodeResults(stored: unknown): ItemResult[] {
  if (Array.isArray(stored)) return stored as ItemResult[];
  const s = stored as Partial<StoredResults> | null;
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
