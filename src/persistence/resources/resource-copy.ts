import type { EntityManager } from '@mikro-orm/sql';
import { CompiledQuery } from 'kysely';
import copyStreams from 'pg-copy-streams';
import type { JsonObject } from '../../domain/json.js';
import { q } from './resource-sql.js';
import type { ResourceTable, RowContext } from './resource-tables.js';

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
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return copyJson(JSON.stringify(value));
  // Most values need no escape: testing first saves the replace's allocation (a CPU profile of a
  // 50,000-user import had copyValue among its top ten).
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPED, (c) => ESCAPES[c] as string) : value;
}

/**
 * JSON text as a COPY value. JSON.stringify escapes every control character inside strings
 * (ECMA-262, QuoteJSONString) and adds no whitespace, so a backslash is the only character of
 * its output COPY's text format must escape; `includes` finds it faster than a regular
 * expression over a whole payload.
 */
export const copyJson = (json: string) => (json.includes('\\') ? json.replaceAll('\\', '\\\\') : json);

/** One COPY text line (without its newline) for `values`, in column order. */
export const copyLine = (values: readonly unknown[]) => values.map(copyValue).join('\t');

/**
 * The COPY text line of the row an item is stored as, without a row object: `json` is the
 * item's JSON text, for the payload column. (rowOf, then a line of its values, made two objects
 * and an array per row: a fifth of the import's own CPU at 200,000 users; issue 10.)
 */
export function copyLineOf(t: ResourceTable, item: JsonObject, json: string, orgId: string, ctx: RowContext): string {
  let line = '';
  for (let i = 0; i < t.columns.length; i++) {
    const c = t.columns[i] as ResourceTable['columns'][number];
    const value = c.isPayload ? copyJson(json) : copyValue(c.value(item, orgId, ctx));
    line += i === 0 ? value : `\t${value}`;
  }
  return line;
}

interface KyselyTransaction {
  executeQuery(q: CompiledQuery): Promise<unknown>;
}

/** A COPY FROM STDIN left open: text goes out as it is written, and `end` waits for PostgreSQL's answer. */
export interface OpenCopy {
  /** Sends COPY text (whole lines, each ending in a newline) at once, without waiting for the database. */
  write(text: string): void;
  /** Resolves when what was written has gone to the socket (or the COPY failed): for writers that bound their memory. */
  drained(): Promise<void>;
  /** Ends the COPY; resolves once PostgreSQL has stored every row, or throws what it refused. */
  end(): Promise<void>;
  /** Abandons the COPY (CopyFail): PostgreSQL stores none of it, and the transaction is failed until the caller's savepoint rolls back. */
  abort(): Promise<void>;
}

/**
 * Opens a COPY into `table` on the transaction's own connection. Kysely's PostgreSQL
 * connection hands the compiled query's `sql` to node-postgres' `client.query`, which takes a
 * Submittable (an object with `submit`) in its place and queues it like any statement
 * (node-postgres Client.query; pg-copy-streams README "usage with a pool client"), so the COPY
 * runs in the transaction, after every earlier statement.
 *
 * Writes never wait for `drain`: a caller writes a batch and goes on preparing the next while
 * the socket (and, past its buffer, the stream) holds what PostgreSQL has not read yet, so the
 * two work at the same time. Waiting for each drain made them take turns: a 200,000-user import
 * spent 11.6 of its 18.5 s waiting on writes with the database half idle (issue 10). The caller
 * bounds how much one COPY takes before it ends it.
 */
export async function openCopy(em: EntityManager, table: string, columns: readonly string[]): Promise<OpenCopy> {
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
  done.catch(() => {}); // observed by end() or abort(); a refusal while writing must not go unhandled
  await ctx.executeQuery({ ...CompiledQuery.raw(''), sql: stream as unknown as string });
  return {
    write(text) {
      // After a refusal PostgreSQL ignores the rest: nothing more is worth sending.
      if (!failed && text) stream.write(text);
    },
    async drained() {
      if (!failed && stream.writableNeedDrain) await Promise.race([new Promise((resolve) => stream.once('drain', resolve)), done]);
    },
    async end() {
      if (!failed) stream.end();
      await done;
    },
    async abort() {
      if (!failed) stream.destroy(new Error('COPY abandoned'));
      await done.catch(() => {});
    },
  };
}

/**
 * Streams `lines` into `table` (openCopy), in messages of about CHUNK_BYTES, holding at most
 * about one message and what the socket holds: it waits for each drain. Throws what PostgreSQL
 * answers (a clash, a value a column refuses): the transaction is then failed until the
 * caller's savepoint is rolled back.
 */
export async function copyInto(em: EntityManager, table: string, columns: readonly string[], lines: Iterable<string>): Promise<void> {
  const copy = await openCopy(em, table, columns);
  const buffer = new CopyBuffer(copy);
  try {
    for (const line of lines) if (buffer.add(line)) await copy.drained();
  } catch (e) {
    // A line that could not be made (the generator threw): left open, the COPY would hold the
    // connection, and the caller's rollback would wait behind it for ever.
    await copy.abort();
    throw e;
  }
  buffer.flush();
  await copy.end();
}

/** Gathers COPY lines into messages of about CHUNK_BYTES for an open COPY. */
export class CopyBuffer {
  private text = '';
  constructor(private readonly copy: Pick<OpenCopy, 'write'>) {}

  /** Whether this line sent a message. */
  add(line: string): boolean {
    this.text += `${line}\n`;
    if (this.text.length < CHUNK_BYTES) return false;
    this.flush();
    return true;
  }

  flush(): void {
    const text = this.text;
    this.text = '';
    this.copy.write(text);
  }
}
