import type { EntityManager } from '@mikro-orm/sql';
import { CompiledQuery } from 'kysely';
import copyStreams from 'pg-copy-streams';
import { q } from './resource-sql.js';

/**
 * COPY FROM STDIN inside the EntityManager's transaction, for the rows of an org the import
 * creates. Rows go out in messages of about 1 MiB: the measurement (10 orgs, 1M users)
 * put one message per row at 1.5× the time of 1 MiB chunks, and `psql \copy` within 5 % of them.
 */
const CHUNK_BYTES = 1024 * 1024;

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPED = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** PostgreSQL COPY text format for one value (docs: COPY, "Text Format"; `\N` is NULL). */
export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'string' ? value : typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  // Most values need no escape: testing first saves the replace's allocation (a CPU profile of a
  // 50,000-user import had copyValue among its top ten).
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPED, (c) => ESCAPES[c] as string) : text;
}

/** One COPY text line (without its newline) for `values`, in column order. */
export const copyLine = (values: readonly unknown[]) => values.map(copyValue).join('\t');

interface KyselyTransaction {
  executeQuery(q: CompiledQuery): Promise<unknown>;
}

/**
 * Streams `lines` into `table` on the transaction's own connection. Kysely's PostgreSQL
 * connection hands the compiled query's `sql` to node-postgres' `client.query`, which takes a
 * Submittable (an object with `submit`) in its place and queues it like any statement
 * (node-postgres Client.query; pg-copy-streams README "usage with a pool client"), so the COPY
 * runs in the transaction, after every earlier statement. Throws what PostgreSQL answers (a
 * clash, a value a column refuses): the transaction is then failed until the caller's
 * savepoint is rolled back.
 */
export async function copyInto(em: EntityManager, table: string, columns: readonly string[], lines: Iterable<string>): Promise<void> {
  const ctx = em.getTransactionContext<KyselyTransaction>();
  if (!ctx) throw new Error('COPY must run inside a transaction');
  const stream = copyStreams.from(`copy ${q(table)} (${columns.map(q).join(', ')}) from stdin`);
  let failed: Error | undefined;
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', (e) => {
      failed = e;
      reject(e);
    });
  });
  done.catch(() => {}); // observed below; a failure while writing must not go unhandled
  await ctx.executeQuery({ ...CompiledQuery.raw(''), sql: stream as unknown as string });
  let buffer = '';
  const flush = async () => {
    const ok = stream.write(buffer);
    buffer = '';
    if (!ok) await Promise.race([new Promise((resolve) => stream.once('drain', resolve)), done]);
  };
  for (const line of lines) {
    if (failed) break;
    buffer += `${line}\n`;
    if (buffer.length >= CHUNK_BYTES) await flush();
  }
  if (!failed) {
    if (buffer) await flush();
    stream.end();
  }
  await done;
}
