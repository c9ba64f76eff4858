import type { EntityManager } from '@mikro-orm/sql';
import { AUDIT_RUN_MAX, type AuditEntry, type AuditRecord, type AuditRun, type AuditStore } from '../../application/jobs/job-ports.js';
import { invalidArgument } from '../../domain/errors.js';
import type { Database } from '../orm.js';
import { copyInto, copyLine, copyValue } from '../resources/resource-copy.js';
import { query } from '../resources/resource-sql.js';
import { transactionOf } from '../resources/resource-store.js';

/*
 * The audit trail, stored as runs (Migration20261204190000): one row holds up to AUDIT_RUN_MAX
 * consecutive events that share principal, job, source, kind, org and outcome (an import pass
 * makes one such run per kind and outcome), with their resource ids as a text[], their digests
 * as one bytea of 32 bytes each, and their details as a text[] when any has one. Each event
 * keeps its own id, row id × ID_SPACE + its place in the run, so ids still increase in the
 * order events were written, and a page may end inside a run.
 *
 * Why (issue 11: a job's overhead over the direct import), measured with psql on this 2-core
 * machine, PostgreSQL 15, 600,000 events of one job:
 * - a row per event, with B-trees on (job, id) and (resource id, id): 3.4 s, a quarter of the
 *   200,000-user import they record;
 * - as 150 runs, resource ids indexed by GIN: 1.1 s (fastupdate off) to 1.7 s (on); without an
 *   index on them: 0.02 s.
 * So the resource ids are not indexed: a resource's events are found by scanning the runs'
 * arrays, 80 ms for 2.46 million events (600 runs), where the write is on every import's path
 * and the lookup is an administrator's query. With a job or a time range, their indexes narrow
 * the scan first.
 */

/** Event ids a row spans (AUDIT_RUN_MAX ≤ ID_SPACE; kept apart so the run size may change without changing ids). */
const ID_SPACE = 65536n;
/** A digest's place in the run's bytea when the event has none (created: nothing before). */
const NO_DIGEST = '0'.repeat(64);

const sameRun = (a: AuditRun['head'], b: AuditEntry) =>
  a.principal === b.principal &&
  (a.jobId ?? '') === (b.jobId ?? '') &&
  (a.source ?? '') === (b.source ?? '') &&
  a.kind === b.kind &&
  (a.orgId ?? '') === (b.orgId ?? '') &&
  a.outcome === b.outcome;

/** The run's digests as one hex text (decoded to bytea by the insert), or null when none has one. */
function digestsHex(digests: readonly string[]): string | null {
  let hex = '';
  let any = false;
  for (const d of digests) {
    if (d === '') {
      hex += NO_DIGEST;
      continue;
    }
    // Digests are sha256 hex (job-digests.ts); any other length would shift every later one.
    if (d.length !== 64) throw new Error(`audit: a digest is 64 hex digits, got ${d.length}`);
    hex += d;
    any = true;
  }
  return any ? hex : null;
}

const COLUMNS = [
  'principal',
  'job_id',
  'source',
  'kind',
  'org_id',
  'outcome',
  'resource_ids',
  'digests_before',
  'digests_after',
  'details',
];
const sharedOf = (h: AuditRun['head']) => [h.principal, h.jobId ?? '', h.source ?? '', h.kind, h.orgId ?? '', h.outcome];
const detailsOf = (run: AuditRun) => (run.details?.some((d) => d !== '') ? run.details : null);

/** One run as a row of parameters (PGlite, which has no COPY FROM STDIN): arrays as arrays, digests as hex. */
async function insertRun(em: EntityManager, run: AuditRun): Promise<void> {
  await query(
    em,
    `insert into audit_event (${COLUMNS.join(', ')})
     values ($1, $2, $3, $4, $5, $6, $7::text[], decode($8, 'hex'), decode($9, 'hex'), $10::text[])`,
    [...sharedOf(run.head), run.resourceIds, digestsHex(run.digestsBefore), digestsHex(run.digestsAfter), detailsOf(run)],
  );
}

/** A text[] literal (docs: Arrays, "Array Value Input"): every element quoted, `"` and `\` escaped. */
const arrayLiteral = (values: readonly string[]) =>
  `{${values.map((v) => `"${/["\\]/.test(v) ? v.replace(/["\\]/g, '\\$&') : v}"`).join(',')}}`;
/**
 * A bytea in hex input form (docs: Binary Data Types, "bytea Hex Format"), as a COPY value: its
 * backslash doubled for COPY's text format, and the hex digits, which need no escape, not
 * scanned for one (a run's digests are 256 KiB of them).
 */
const byteaCopyValue = (hex: string | null) => (hex === null ? '\\N' : `\\\\x${hex}`);

/** One run as a COPY line (PostgreSQL); copyValue escapes the array literals' backslashes for COPY. */
function runLine(run: AuditRun): string {
  const details = detailsOf(run);
  return [
    copyLine(sharedOf(run.head)),
    copyValue(arrayLiteral(run.resourceIds)),
    byteaCopyValue(digestsHex(run.digestsBefore)),
    byteaCopyValue(digestsHex(run.digestsAfter)),
    copyValue(details && arrayLiteral(details)),
  ].join('\t');
}

/** A run given whole, in rows of at most AUDIT_RUN_MAX events. */
function* cut(run: AuditRun): Generator<AuditRun> {
  const n = run.resourceIds.length;
  if (n <= AUDIT_RUN_MAX) {
    yield run;
    return;
  }
  for (let i = 0; i < n; i += AUDIT_RUN_MAX) {
    const part = (a: string[]) => a.slice(i, i + AUDIT_RUN_MAX);
    yield {
      head: run.head,
      resourceIds: part(run.resourceIds),
      digestsBefore: part(run.digestsBefore),
      digestsAfter: part(run.digestsAfter),
      ...(run.details ? { details: part(run.details) } : {}),
    };
  }
}

/** The rows of `items`: runs as given, consecutive entries of one run gathered (read once, in order). */
function* runsOf(items: Iterable<AuditEntry | AuditRun>): Generator<AuditRun> {
  let open: Required<AuditRun> | undefined;
  for (const item of items) {
    if ('resourceIds' in item) {
      if (open) yield open;
      open = undefined;
      yield* cut(item);
      continue;
    }
    if (!open || open.resourceIds.length >= AUDIT_RUN_MAX || !sameRun(open.head, item)) {
      if (open) yield open;
      const { resourceId: _r, digestBefore: _b, digestAfter: _a, detail: _d, ...head } = item;
      open = { head, resourceIds: [], digestsBefore: [], digestsAfter: [], details: [] };
    }
    open.resourceIds.push(item.resourceId ?? '');
    open.digestsBefore.push(item.digestBefore ?? '');
    open.digestsAfter.push(item.digestAfter ?? '');
    open.details.push(item.detail ?? '');
  }
  if (open) yield open;
}

/** A COPY line per row. */
function* linesOf(items: Iterable<AuditEntry | AuditRun>): Generator<string> {
  for (const run of runsOf(items)) yield runLine(run);
}

/**
 * Appends events in `em`'s transaction, a row at a time (at most AUDIT_RUN_MAX events held): on
 * PostgreSQL as COPY lines, otherwise (PGlite has no COPY FROM STDIN) as INSERTs.
 */
export async function appendAudit(em: EntityManager, items: Iterable<AuditEntry | AuditRun>, bulkCopy = false): Promise<void> {
  if (bulkCopy) return copyInto(em, 'audit_event', COLUMNS, linesOf(items));
  for (const run of runsOf(items)) await insertRun(em, run);
}

interface EventRow {
  row_id: string;
  n: number;
  time: Date | string;
  principal: string;
  job_id: string;
  source: string;
  kind: string;
  org_id: string;
  resource_id: string;
  outcome: AuditRecord['outcome'];
  digest_before: string | null;
  digest_after: string | null;
  detail: string | null;
}

/** The row and place (1-based) an event id names; a malformed id is the caller's error. */
function placeOf(id: string): [string, number] {
  if (!/^\d{1,19}$/.test(id)) throw invalidArgument('JOB-page-token', 'page_token is not a token this server gave out');
  const n = BigInt(id);
  return [(n / ID_SPACE).toString(), Number(n % ID_SPACE) + 1];
}

/** The digest of an event, sliced from its run (digests_before/after are stored uncompressed, so a slice reads one chunk). */
const digestSlice = (column: string) => `coalesce(encode(substring(e.${column} from (u.n::int - 1) * 32 + 1 for 32), 'hex'), '')`;

/** The append-only audit trail (the table's trigger refuses UPDATE and DELETE; see the migration). */
export function createAuditStore(db: Database): AuditStore {
  return {
    async append(entries, writer) {
      if (Array.isArray(entries) && entries.length === 0) return;
      if (writer) await appendAudit(transactionOf(writer), entries, db.kind === 'postgres');
      else await db.em().transactional((em) => appendAudit(em as unknown as EntityManager, entries, db.kind === 'postgres'));
    },

    async list(f) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (f.from) where.push(`e.time >= $${params.push(f.from)}`);
      if (f.to) where.push(`e.time < $${params.push(f.to)}`);
      if (f.principal) where.push(`e.principal = $${params.push(f.principal)}`);
      if (f.jobId) where.push(`e.job_id = $${params.push(f.jobId)}`);
      if (f.kind) where.push(`e.kind = $${params.push(f.kind)}`);
      if (f.resourceId) {
        const p = params.push(f.resourceId);
        // The runs holding the id (a scan of their arrays, see above); the unnested ids, its events.
        where.push(`e.resource_ids @> array[$${p}::text]`, `u.resource_id = $${p}`);
      }
      if (f.afterId) {
        const [row, n] = placeOf(f.afterId);
        const r = params.push(row);
        where.push(`e.id >= $${r}::bigint`, `(e.id > $${r}::bigint or u.n > $${params.push(n)})`);
      }
      const rows = await db.em().transactional((em) =>
        query<EventRow>(
          em as unknown as EntityManager,
          `select e.id::text as row_id, u.n::int as n, e.time, e.principal, e.job_id, e.source, e.kind, e.org_id, e.outcome,
                  u.resource_id, ${digestSlice('digests_before')} as digest_before, ${digestSlice('digests_after')} as digest_after,
                  coalesce(e.details[u.n], '') as detail
           from audit_event e cross join lateral unnest(e.resource_ids) with ordinality as u(resource_id, n)
           ${where.length ? `where ${where.join(' and ')}` : ''}
           order by e.id, u.n limit $${params.push(f.limit)}`,
          params,
        ),
      );
      const hex = (d: string | null) => (!d || d === NO_DIGEST ? '' : d);
      return rows.map((r) => ({
        id: (BigInt(r.row_id) * ID_SPACE + BigInt(r.n - 1)).toString(),
        time: new Date(r.time),
        principal: r.principal,
        jobId: r.job_id,
        source: r.source,
        kind: r.kind,
        orgId: r.org_id,
        resourceId: r.resource_id,
        outcome: r.outcome,
        digestBefore: hex(r.digest_before),
        digestAfter: hex(r.digest_after),
        detail: r.detail ?? '',
      }));
    },

    async prune(before) {
      return db.em().transactional(async (tx) => {
        const em = tx as unknown as EntityManager;
        // The one deletion the append-only trigger lets through, for this transaction only.
        await query(em, "select set_config('idport.audit_prune', 'on', true)", []);
        const rows = await query<{ n: string }>(
          em,
          'with d as (delete from audit_event where time < $1 returning cardinality(resource_ids) as n) select coalesce(sum(n), 0)::text as n from d',
          [before],
        );
        return Number(rows[0]?.n ?? 0);
      });
    },
  };
}
