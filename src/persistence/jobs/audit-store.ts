import type { EntityManager } from '@mikro-orm/sql';
import type { AuditEntry, AuditRecord, AuditStore } from '../../application/jobs/job-ports.js';
import type { Database } from '../orm.js';
import { copyInto, copyLine } from '../resources/resource-copy.js';
import { query } from '../resources/resource-sql.js';
import { transactionOf } from '../resources/resource-store.js';

interface AuditRow {
  id: string;
  time: Date | string;
  principal: string;
  job_id: string;
  source: string;
  kind: string;
  org_id: string;
  resource_id: string;
  outcome: AuditRecord['outcome'];
  digest_before: string;
  digest_after: string;
  detail: string;
}

const COLUMNS = ['principal', 'job_id', 'source', 'kind', 'org_id', 'resource_id', 'outcome', 'digest_before', 'digest_after', 'detail'];

/** Rows per insert statement: one JSON parameter each, so a 100,000-user org is a few round trips. */
const BATCH = 5000;

/** The columns a run of a pass's events shares (principal, job, source, kind, org), in COLUMNS order. */
const sharedOf = (e: AuditEntry) => [e.principal, e.jobId ?? '', e.source ?? '', e.kind, e.orgId ?? ''];
/** The event's own columns, after the shared ones. */
const ownOf = (e: AuditEntry) => [e.resourceId ?? '', e.outcome, e.digestBefore ?? '', e.digestAfter ?? '', e.detail ?? ''];
/** An entry's column values, in COLUMNS order. */
const valuesOf = (e: AuditEntry) => [...sharedOf(e), ...ownOf(e)];

/**
 * Appends events in `em`'s transaction. On PostgreSQL with COPY FROM STDIN (one statement,
 * lines made as the entries are read, so a pass's events are never held as one array or one
 * JSON text); otherwise (PGlite has no COPY FROM STDIN) in INSERTs of BATCH rows.
 */
export async function appendAudit(em: EntityManager, entries: Iterable<AuditEntry>, bulkCopy = false): Promise<void> {
  if (bulkCopy) {
    await copyInto(em, 'audit_event', COLUMNS, linesOf(entries));
    return;
  }
  let rows: Record<string, string>[] = [];
  const flush = async () => {
    await query(
      em,
      `insert into audit_event (${COLUMNS.join(', ')})
       select ${COLUMNS.join(', ')} from json_to_recordset($1::json) as r(${COLUMNS.map((c) => `${c} text`).join(', ')})`,
      [JSON.stringify(rows)],
    );
    rows = [];
  };
  for (const e of entries) {
    const values = valuesOf(e);
    rows.push(Object.fromEntries(COLUMNS.map((c, i) => [c, values[i] as string])));
    if (rows.length >= BATCH) await flush();
  }
  if (rows.length > 0) await flush();
}

/**
 * COPY lines in COLUMNS order. The shared columns repeat for a whole run of a pass's events:
 * escaped once while they stay the same.
 */
function* linesOf(entries: Iterable<AuditEntry>): Generator<string> {
  let head = '';
  let key: string[] = [];
  for (const e of entries) {
    const shared = sharedOf(e);
    if (shared.some((v, i) => v !== key[i])) {
      key = shared;
      head = copyLine(shared);
    }
    yield `${head}\t${copyLine(ownOf(e))}`;
  }
}

/** The append-only audit trail (the table's trigger refuses UPDATE and DELETE; see the migration). */
export function createAuditStore(db: Database): AuditStore {
  return {
    async append(entries, writer) {
      if (Array.isArray(entries) && entries.length === 0) return;
      if (writer) await appendAudit(transactionOf(writer), entries, db.kind === 'postgres');
      else await db.em().transactional((em) => appendAudit(em as unknown as EntityManager, entries));
    },

    async list(f) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (f.from) where.push(`time >= $${params.push(f.from)}`);
      if (f.to) where.push(`time < $${params.push(f.to)}`);
      if (f.principal) where.push(`principal = $${params.push(f.principal)}`);
      if (f.jobId) where.push(`job_id = $${params.push(f.jobId)}`);
      if (f.kind) where.push(`kind = $${params.push(f.kind)}`);
      if (f.resourceId) where.push(`resource_id = $${params.push(f.resourceId)}`);
      if (f.afterId) where.push(`audit_event.id > $${params.push(f.afterId)}::bigint`);
      const rows = await db.em().transactional((em) =>
        query<AuditRow>(
          em as unknown as EntityManager,
          `select id::text as id, time, principal, job_id, source, kind, org_id, resource_id, outcome, digest_before, digest_after, detail
           from audit_event ${where.length ? `where ${where.join(' and ')}` : ''} order by audit_event.id limit $${params.push(f.limit)}`,
          params,
        ),
      );
      return rows.map((r) => ({
        id: r.id,
        time: new Date(r.time),
        principal: r.principal,
        jobId: r.job_id,
        source: r.source,
        kind: r.kind,
        orgId: r.org_id,
        resourceId: r.resource_id,
        outcome: r.outcome,
        digestBefore: r.digest_before,
        digestAfter: r.digest_after,
        detail: r.detail,
      }));
    },

    async prune(before) {
      return db.em().transactional(async (tx) => {
        const em = tx as unknown as EntityManager;
        // The one deletion the append-only trigger lets through, for this transaction only.
        await query(em, "select set_config('idport.audit_prune', 'on', true)", []);
        const rows = await query<{ n: string }>(
          em,
          'with d as (delete from audit_event where time < $1 returning 1) select count(*)::text as n from d',
          [before],
        );
        return Number(rows[0]?.n ?? 0);
      });
    },
  };
}
