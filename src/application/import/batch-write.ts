import { isDomainError } from '../../domain/errors.js';
import type { ResourceKind } from '../../domain/resources/kinds.js';
import type { ResourceWriter } from '../ports.js';
import { type Candidate, errorText, storedOf } from './candidates.js';
import { checkDeadline } from './deadline.js';

/** Rows per multi-row insert: big enough to amortise round trips, small enough to retry one by one. */
export const CHUNK = 5000;

/** How a written (or refused) candidate is reported. */
export interface WriteOutcomes {
  written(c: Candidate, outcome: 'created' | 'updated'): void;
  refused(c: Candidate, message: string): void;
}

export interface BatchContext {
  writer: ResourceWriter;
  orgId: string;
  signal: AbortSignal;
  /** The org was created by this import: no clashes are expected, so batches go in as plain inserts. */
  fresh: boolean;
}

/**
 * Inserts the candidates CHUNK at a time; each one ends reported created or refused. In an org
 * this import created this is the fallback of its bulk write (org-session.ts): it runs when the
 * bulk write was refused, and names each culprit.
 */
export async function insertAll(ctx: BatchContext, kind: ResourceKind, candidates: readonly Candidate[], report: WriteOutcomes) {
  for (let i = 0; i < candidates.length; i += CHUNK) {
    checkDeadline(ctx.signal, () => ({}));
    await insertChunk(ctx, kind, candidates.slice(i, i + CHUNK), report);
  }
}

/**
 * Inserts a batch in a savepoint. In an org this import created, clashes are not expected, so
 * the batch goes in as a plain insert (cheaper than ON CONFLICT's speculative insertion); if
 * anything in it breaks a rule, the batch is halved until the culprits stand alone, and
 * single rows go in with conflict detection so a clash is named rather than thrown.
 */
async function insertChunk(ctx: BatchContext, kind: ResourceKind, chunk: readonly Candidate[], report: WriteOutcomes) {
  const plain = ctx.fresh && chunk.length > 1;
  try {
    const rows = chunk.map(storedOf);
    const { conflicts } = await ctx.writer.savepoint((w) => w.insert(kind.type, ctx.orgId, rows, { detectConflicts: !plain }));
    const conflicted = new Set(conflicts);
    chunk.forEach((c, i) => {
      if (!conflicted.has(i)) report.written(c, 'created');
      else report.refused(c, `${kind.type} ${c.id} conflicts with an existing resource: its id or a unique name is taken (IMPORT-unique)`);
    });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    if (chunk.length === 1) {
      // Only a value the database refuses fails the row; a fault fails the call.
      if (!isDomainError(e)) throw e;
      report.refused(chunk[0] as Candidate, errorText(e));
      return;
    }
    const half = Math.ceil(chunk.length / 2);
    await insertChunk(ctx, kind, chunk.slice(0, half), report);
    await insertChunk(ctx, kind, chunk.slice(half), report);
  }
}

/** Replaces each candidate's stored resource, each in its own savepoint (conflict policy overwrite). */
export async function replaceAll(ctx: BatchContext, kind: ResourceKind, candidates: readonly Candidate[], report: WriteOutcomes) {
  for (const c of candidates) {
    try {
      await ctx.writer.savepoint((w) => w.replace(kind.type, ctx.orgId, storedOf(c)));
      report.written(c, 'updated');
    } catch (e) {
      // A value the database refuses fails this resource; a fault (connection lost) fails the call.
      if (ctx.signal.aborted || !isDomainError(e)) throw e;
      report.refused(c, errorText(e));
    }
  }
}
