import type { Readable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/sql';
import { CompiledQuery } from 'kysely';
import copyStreams from 'pg-copy-streams';
import { createCopyLineSplitter } from './copy-text.js';

interface KyselyTransaction {
  executeQuery(q: CompiledQuery): Promise<unknown>;
}

/** How long an abandoned COPY may take to drain before its connection is cut. */
const DRAIN_LIMIT_MS = 10_000;

/** The socket of the connection a submitted pg-copy-streams stream runs on. */
const socketOf = (stream: Readable) => (stream as Readable & { connection?: { stream?: { destroy(): void } } }).connection?.stream;

/** Ends the statement running on the PostgreSQL backend `pid` (pg_cancel_backend, from another connection). */
export type CancelBackend = (pid: number) => Promise<void>;

/**
 * Streams `COPY (select …) TO STDOUT` on the EntityManager's transaction connection, so it
 * reads the transaction's snapshot, and yields the output's lines (COPY text format, one per
 * row) a chunk at a time, as they arrive. The statement goes in the way copyInto (resource-copy.ts) sends COPY FROM: as a
 * Submittable in place of the SQL text, which node-postgres queues like any statement.
 *
 * Backpressure: lines are taken from the stream only as the consumer asks, and pg-copy-streams
 * stops reading the socket while its buffer is full, so PostgreSQL waits instead of memory
 * growing.
 *
 * A consumer that stops early (an aborted or starved export) must not leave the connection in
 * the middle of a COPY: node-postgres would queue the ROLLBACK behind it forever. So the
 * statement is cancelled (`cancel(pid)`) and its rest read and dropped until PostgreSQL
 * answers (query_canceled, or the end if it was already done): the connection is then idle in
 * its transaction and rolls back as usual. PostgreSQL ignores a cancel that reaches a backend
 * waiting for its next command (postgres.c ProcessInterrupts, "DoingCommandRead"), and the
 * transaction sends nothing else until the drain is over, so a late cancel hits nothing.
 */
export async function* copyOut(em: EntityManager, sql: string, pid: number, cancel: CancelBackend): AsyncGenerator<string[]> {
  const ctx = em.getTransactionContext<KyselyTransaction>();
  if (!ctx) throw new Error('COPY must run inside a transaction');
  const stream: Readable = copyStreams.to(`copy (${sql}) to stdout`);
  const settled = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('error', () => resolve());
    stream.once('close', resolve);
  });
  await ctx.executeQuery({ ...CompiledQuery.raw(''), sql: stream as unknown as string });
  const splitter = createCopyLineSplitter();
  let complete = false;
  try {
    // destroyOnReturn: false, because destroying the stream would strand the connection (above).
    for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      const lines = splitter.push(chunk);
      if (lines.length) yield lines;
    }
    splitter.end();
    complete = true;
  } finally {
    if (!complete && !stream.readableEnded && !stream.errored) {
      // Read on while the cancel travels: PostgreSQL acts on it only once its blocked write
      // goes through (postgres.c ProcessClientWriteInterrupt handles only termination). A
      // second iterator, not flowing mode: resume() right after the first iterator let go of
      // 'readable' can leave the stream paused (Readable's readableListening updates a tick late).
      const drained = (async () => {
        for await (const _ of stream) {
          // dropped
        }
      })().catch(() => undefined);
      await cancel(pid).catch(() => undefined);
      // The last resort, if the rest never comes (seen once in CI under load, not reproduced):
      // the connection is cut, so PostgreSQL rolls the transaction back and the pool replaces
      // the connection (pool-reaper.ts), as when a database restart cuts it.
      const cut = setTimeout(() => socketOf(stream)?.destroy(), DRAIN_LIMIT_MS);
      try {
        await drained;
        await settled;
      } finally {
        clearTimeout(cut);
      }
    }
  }
}
