import type { EntityManager } from '@mikro-orm/sql';
import { CompiledQuery } from 'kysely';
import type { JsonObject } from '../../domain/json.js';
import { isResourceType, type ResourceType } from '../../domain/resources/kinds.js';
import { translateDbError } from '../repositories/db-errors.js';
import { RESOURCE_TABLES, type ResourceTable, type RowContext } from './resource-tables.js';

/** SQL building blocks the resource writer and reader share: the statement runner and the table helpers. */

/** Kinds whose secrets live apart, in user_secret. */
export const SECRET_KINDS: ReadonlySet<string> = new Set(['human_user'] satisfies ResourceType[]);

/** The table of a kind; a string that names no ResourceType (ResourceReader.read takes any) is a bug, thrown. */
export function tableOf(kind: ResourceType | string): ResourceTable {
  if (!isResourceType(kind)) throw new Error(`no table for resource kind ${kind}`);
  return RESOURCE_TABLES[kind];
}

export const q = (name: string) => `"${name}"`;

/** `json_to_recordset` column list for `names`, typed as the table declares them. */
export const recordType = (t: ResourceTable, names: string[]) =>
  names.map((n) => `${q(n)} ${t.columns.find((c) => c.name === n)?.type ?? 'text'}`).join(', ');

/** The fixed column values that select this kind inside a shared table, as SQL conditions. */
export const whereSql = (t: ResourceTable, alias: string) =>
  Object.entries(t.where).map(([col, value]) => `${alias}.${q(col)} = '${value.replace(/'/g, "''")}'`);

/** The row an item is stored as: every declared column's value. */
export function rowOf(t: ResourceTable, item: JsonObject, orgId: string, ctx: RowContext): Record<string, unknown> {
  return Object.fromEntries(t.columns.map((c) => [c.name, c.value(item, orgId, ctx)]));
}

/**
 * Runs one statement in the EntityManager's transaction with real bind parameters ($1, $2…),
 * then yields one event-loop turn.
 * - MikroORM's `execute` inlines parameters as escaped literals; for a thousand rows in one
 *   JSON parameter that cost more CPU than the insert itself (measured with `npm run bench`).
 * - PGlite executes queries on this thread and settles them as microtasks, so without the turn
 *   an import or export of thousands of statements starves every macrotask: the request's
 *   `timeout` timer, client disconnects and all other requests. On PostgreSQL it costs
 *   microseconds.
 */
export async function query<T>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const ctx = em.getTransactionContext<{ executeQuery(q: CompiledQuery): Promise<{ rows: unknown[] }> }>();
  if (!ctx) throw new Error('resource SQL must run inside a transaction');
  let rows: T[];
  try {
    rows = (await ctx.executeQuery(CompiledQuery.raw(sql, params))).rows as T[];
  } catch (e) {
    throw resourceDbError(em, e);
  }
  await new Promise<void>((resolve) => setImmediate(resolve));
  return rows;
}

/** A driver error as the domain error the resource stores throw (a lost connection is UNAVAILABLE…). */
export const resourceDbError = (em: EntityManager, e: unknown) =>
  translateDbError(
    em
      .getPlatform()
      .getExceptionConverter()
      .convertException(e as Error),
    'resource',
  );
