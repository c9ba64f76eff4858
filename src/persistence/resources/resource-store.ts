import type { EntityManager } from '@mikro-orm/sql';
import type { BulkWrite, ResourceTransactions, ResourceWriter, StoredResource, UserSecrets } from '../../application/ports.js';
import { DomainError, isDomainError } from '../../domain/errors.js';
import { type JsonObject, jsonBytes } from '../../domain/json.js';
import type { Ref, RefKind, ResourceType } from '../../domain/resources/kinds.js';
import { userNameScope } from '../../domain/user-name-scope.js';
import type { Database } from '../orm.js';
import type { SecretsAtRest } from '../secrets/at-rest.js';
import { openCopyBulk } from './resource-bulk.js';
import { createReader } from './resource-reader.js';
import { q, query, recordType, rowOf, SECRET_KINDS, tableOf, whereSql } from './resource-sql.js';
import { REF_TABLES, RESOURCE_TABLES, type RowContext } from './resource-tables.js';

/** First key of idport's advisory locks (any constant; "1D" for idport). */
const ORG_LOCK_NAMESPACE = 0x1d;

/** Rows per INSERT of a bulk write where COPY is not available (PGlite: no COPY FROM STDIN). */
const PLAIN_ROWS = 5000;

/**
 * Writes resources inside one transaction. Secrets are sealed here, on the way in (payload
 * secret fields and OTP seeds), and opened by findExisting, so the importer compares plaintext
 * and an unchanged re-import stays UNCHANGED whatever IV sealed the stored copy.
 */
function createWriter(em: EntityManager, sealed: SecretsAtRest, bulkCopy: boolean): ResourceWriter {
  const run = <T>(sql: string, params: unknown[] = []) => query<T>(em, sql, params);
  const ctxCache = new Map<string, RowContext>();

  /**
   * A domain policy written for an org that has users already moves their user names into the
   * policy's scope, so the unique index keeps login names unique under the new policy. If that
   * would give two users one login name, the write fails (and its savepoint rolls back).
   */
  async function rescopeUsers(orgId: string) {
    const scope = await writer.userNameScope(orgId);
    try {
      await run('update users set user_name_scope = $2 where org_id = $1 and user_name_scope <> $2', [orgId, scope]);
    } catch (e) {
      if (isDomainError(e) && e.id === 'DB-unique') {
        throw new DomainError(
          'AlreadyExists',
          'IMPORT-login-name',
          'domain_policy: under this policy two users would share a login name (a user name of this org is taken in the instance)',
          { cause: e },
        );
      }
      throw e;
    }
  }

  /** The domain policy decides the user-name scope: writing it makes the cached one stale. */
  function forgetContextOn(kind: ResourceType, orgId: string) {
    if (kind === 'domain_policy') ctxCache.delete(orgId);
  }

  async function contextOf(orgId: string): Promise<RowContext> {
    let ctx = ctxCache.get(orgId);
    if (!ctx) {
      ctx = { userNameScope: await writer.userNameScope(orgId) };
      ctxCache.set(orgId, ctx);
    }
    return ctx;
  }

  async function writeSecrets(kind: ResourceType, ids: string[], values: UserSecrets[]) {
    if (!SECRET_KINDS.has(kind) || ids.length === 0) return;
    const rows = ids.map((id, i) => ({
      user_id: id,
      password_hash: values[i]?.passwordHash ?? null,
      otp_secret: sealed.sealOtp(values[i]?.otpSecret ?? null),
    }));
    await run(
      `insert into user_secret (user_id, password_hash, otp_secret)
       select user_id, password_hash, otp_secret from json_to_recordset($1::json) as r(user_id text, password_hash text, otp_secret text)
       on conflict (user_id) do update set password_hash = excluded.password_hash, otp_secret = excluded.otp_secret`,
      [JSON.stringify(rows)],
    );
  }

  /** One multi-row INSERT; the indexes of rows left out for a unique clash (with `detectConflicts`). */
  async function insertRows(kind: ResourceType, orgId: string, rows: readonly StoredResource[], detectConflicts: boolean) {
    const t = tableOf(kind);
    const ctx = await contextOf(orgId);
    const withSecrets = SECRET_KINDS.has(kind);
    const records: Record<string, unknown>[] = rows.map((r, index) => {
      const record: Record<string, unknown> = { ...rowOf(t, sealed.sealItem(kind, r.item), orgId, ctx), __index: index };
      if (withSecrets) {
        record.__password_hash = r.secrets?.passwordHash ?? null;
        record.__otp_secret = sealed.sealOtp(r.secrets?.otpSecret ?? null);
      }
      return record;
    });
    const cols = t.columns.map((c) => c.name);
    // One statement per batch: rows that collide with a unique rule are left out (and named
    // by their absence from the result), and users' secrets go in with the users they belong to.
    const inserted = await run<{ __index: number }>(
      `with r as (
         select * from json_to_recordset($1::json)
         as r(${recordType(t, cols)}, "__index" int${withSecrets ? ', "__password_hash" text, "__otp_secret" text' : ''})
       ),
       ins as (
         insert into ${q(t.table)} (${cols.map(q).join(', ')})
         select ${cols.map(q).join(', ')} from r order by "__index"
         ${detectConflicts ? 'on conflict do nothing' : ''}
         returning ${t.key.map(q).join(', ')}
       )${
         withSecrets
           ? `, secrets as (
         insert into user_secret (user_id, password_hash, otp_secret)
         select r.id, r."__password_hash", r."__otp_secret" from r join ins on r.id = ins.id
         on conflict (user_id) do update set password_hash = excluded.password_hash, otp_secret = excluded.otp_secret
       )`
           : ''
       }
       select r."__index" from r join ins on ${t.key.map((k) => `r.${q(k)} = ins.${q(k)}`).join(' and ')}`,
      [JSON.stringify(records)],
    );
    const ok = new Set(inserted.map((r) => r.__index));
    return rows.map((_r, i) => i).filter((i) => !ok.has(i));
  }

  /** Where COPY is not available (PGlite: no COPY FROM STDIN), multi-row INSERTs at close, in a savepoint. */
  function insertBulk(kind: ResourceType, orgId: string): BulkWrite {
    const rows: StoredResource[] = [];
    return {
      add: (more) => {
        rows.push(...more);
      },
      async close() {
        await writer.savepoint(async (w) => {
          for (let i = 0; i < rows.length; i += PLAIN_ROWS)
            await w.insert(kind, orgId, rows.slice(i, i + PLAIN_ROWS), { detectConflicts: false });
        });
        forgetContextOn(kind, orgId); // the savepoint's writer moved the user names already
        return { rows: rows.length, bytes: rows.reduce((n, r) => n + jsonBytes(r.item), 0) };
      },
      abort: async () => {},
    };
  }

  /** After rows of `kind` are stored: a new domain policy moves the org's user names into its scope. */
  async function written(kind: ResourceType, orgId: string, count: number) {
    forgetContextOn(kind, orgId);
    if (kind === 'domain_policy' && count > 0) await rescopeUsers(orgId);
  }

  const writer: ResourceWriter = {
    async existingRefs(refs: readonly Ref[]) {
      const found = new Set<string>();
      const byKind = new Map<RefKind, Set<string>>();
      for (const r of refs) {
        if (!byKind.has(r.kind)) byKind.set(r.kind, new Set());
        byKind.get(r.kind)?.add(r.id);
      }
      for (const [kind, ids] of byKind) {
        const t = REF_TABLES[kind];
        const rows = await run<{ id: string; org: string }>(
          `select ${t.idExpr} as id, ${t.orgExpr} as org from ${q(t.table)} where ${t.idExpr} in (select jsonb_array_elements_text($1::jsonb))`,
          [JSON.stringify([...ids])],
        );
        // Both forms: any-org references and those that must stay in the row's org (Ref.org).
        for (const r of rows) found.add(`${kind}:${r.id}`).add(`${kind}:${r.id}@${r.org}`);
      }
      return found;
    },

    async findExisting(kind, orgId, items) {
      const t = tableOf(kind);
      const ctx = await contextOf(orgId);
      const keys = items.map((i) => {
        const row = rowOf(t, i, orgId, ctx);
        return Object.fromEntries(t.key.map((k) => [k, row[k]]));
      });
      const withSecrets = SECRET_KINDS.has(kind);
      const rows = await run<{ payload: JsonObject; owner: string; password_hash?: string | null; otp_secret?: string | null }>(
        `select t.payload, t.${q(t.orgColumn)} as owner${withSecrets ? ', s.password_hash, s.otp_secret' : ''}
         from ${q(t.table)} t
         join json_to_recordset($1::json) as k(${recordType(t, t.key)}) on ${t.key.map((k) => `t.${q(k)} = k.${q(k)}`).join(' and ')}
         ${withSecrets ? 'left join user_secret s on s.user_id = t.id' : ''}
         ${whereSql(t, 't').length ? `where ${whereSql(t, 't').join(' and ')}` : ''}`,
        [JSON.stringify(keys)],
      );
      return rows.map((r) => {
        const item = sealed.openItem(kind, r.payload);
        return withSecrets ? { item, orgId: r.owner, secrets: sealed.openUserSecrets(r) } : { item, orgId: r.owner };
      });
    },

    async insert(kind, orgId, rows, options) {
      if (rows.length === 0) return { conflicts: [] };
      const conflicts = await insertRows(kind, orgId, rows, options?.detectConflicts !== false);
      await written(kind, orgId, rows.length - conflicts.length);
      return { conflicts };
    },

    openBulk: async (kind, orgId) =>
      bulkCopy
        ? openCopyBulk(em, sealed, { kind, orgId, ctx: await contextOf(orgId) }, (count) => written(kind, orgId, count))
        : insertBulk(kind, orgId),

    async replace(kind, orgId, row) {
      const t = tableOf(kind);
      const record = rowOf(t, sealed.sealItem(kind, row.item), orgId, await contextOf(orgId));
      const cols = t.columns.map((c) => c.name).filter((c) => !t.key.includes(c));
      await run(
        `update ${q(t.table)} t set ${cols.map((c) => `${q(c)} = r.${q(c)}`).join(', ')}
         from json_to_recordset($1::json) as r(${recordType(
           t,
           t.columns.map((c) => c.name),
         )})
         where ${t.key.map((k) => `t.${q(k)} = r.${q(k)}`).join(' and ')}`,
        [JSON.stringify([record])],
      );
      forgetContextOn(kind, orgId);
      if (kind === 'domain_policy') await rescopeUsers(orgId);
      if (row.secrets) await writeSecrets(kind, [String(record.id)], [row.secrets]);
    },

    async userNameScope(orgId) {
      const rows = await run<{ payload: JsonObject }>(
        `select payload from org_setting where org_id = $1 and kind = 'domain_policy' and language = ''`,
        [orgId],
      );
      return userNameScope(orgId, rows[0]?.payload);
    },

    savepoint: (work) => em.transactional((inner) => work(createWriter(inner as EntityManager, sealed, bulkCopy))),

    async lockOrg(orgId) {
      // Two-key form: the first key is idport's namespace, so other users of advisory locks on
      // the same database cannot collide with ours; hashtext maps the org id to the second key.
      await run('select pg_advisory_xact_lock($1::int4, hashtext($2))', [ORG_LOCK_NAMESPACE, orgId]);
    },
  };
  Object.defineProperty(writer, TRANSACTION, { value: em, enumerable: true });
  return writer;
}

/**
 * The transaction a writer writes in, so job checkpoints and audit events commit with the data.
 * An enumerable symbol: decorators that spread the writer (`{...writer, insert}`) keep it.
 */
const TRANSACTION = Symbol('idport.transaction');

/** The EntityManager (in its transaction) behind a writer this module made, or a decorator of one. */
export function transactionOf(writer: ResourceWriter): EntityManager {
  const em = (writer as unknown as Record<symbol, EntityManager | undefined>)[TRANSACTION];
  if (!em) throw new Error('not a writer of the resource store');
  return em;
}

/** Transactions for import (one per org and pass) and export (one snapshot); `secrets` seals and opens at this boundary. */
export function createResourceTransactions(db: Database, secrets: SecretsAtRest): ResourceTransactions {
  // On PostgreSQL the export reads with COPY TO; one it stops early is cancelled from a pool
  // connection (one of the POOL_RESERVE ones, read-slots.ts, when exports hold the rest).
  const cancel =
    db.kind === 'postgres'
      ? async (pid: number) => {
          await db.em().getConnection().execute('select pg_cancel_backend(?)', [pid]);
        }
      : undefined;
  return {
    async write(signal, options, work) {
      const rollback = new Error('dry run: rolled back');
      try {
        return await db.em().transactional(
          async (em) => {
            const result = await work(createWriter(em as unknown as EntityManager, secrets, db.kind === 'postgres'));
            if (options.rollback) throw Object.assign(rollback, { result });
            return result;
          },
          { signal },
        );
      } catch (e) {
        if (e === rollback) return (rollback as Error & { result: never }).result;
        throw e;
      }
    },

    async analyze() {
      const tables = [...new Set(Object.values(RESOURCE_TABLES).map((t) => t.table)), 'user_secret'];
      await db
        .em()
        .getConnection()
        .execute(`analyze ${tables.map(q).join(', ')}`);
    },

    read: (signal, work) =>
      db.em().transactional((em) => work(createReader(em as unknown as EntityManager, secrets, cancel)), {
        isolationLevel: 'repeatable read',
        readOnly: true,
        signal,
      }),
  };
}
