import { isDomainError } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/json.js';
import type { ResourceKind } from '../../domain/resources/kinds.js';
import type { PasswordHasher, ResourceWriter, StoredResource } from '../ports.js';
import { type BatchContext, CHUNK, insertAll, replaceAll, type WriteOutcomes } from './batch-write.js';
import { BulkPipeline } from './bulk-pipeline.js';
import { type Candidate, errorText, hashPasswords, prepareAll, type Reject, sameAs } from './candidates.js';
import { type ConflictPolicy, decide, type StoredState } from './decide.js';
import type { ItemResult } from './import-report.js';
import { nameless, positionName } from './item-names.js';
import { PackedResults } from './packed-results.js';
import type { Step } from './plan.js';
import { type ImportRefs, KnownRefs, referenceProblems, refKey } from './references.js';

/**
 * Items a fresh org's batch prepares and sends at a time, about 2 ms of work: each batch's rows
 * are sent before the next is prepared, so about this many rows wait in the socket for the
 * database (its send buffer holds some hundreds of KiB on loopback).
 */
const FRESH_BATCH = 250;

/** What an org session needs from the import around it. */
export interface SessionContext {
  hasher: PasswordHasher;
  conflictPolicy: ConflictPolicy;
  signal: AbortSignal;
}

/**
 * One org's pass inside its transaction. Each kind goes through the same steps, in reading
 * order: prepare the items, check their references, look up what is stored, decide each
 * (decide.ts), hash new passwords, then write in batches (batch-write.ts). Every resource
 * ends in `results`; what it makes present (or fails to) is kept in `refs` for dependents.
 */
export class OrgSession {
  readonly results = new PackedResults();
  /** Whether this pass created the org (its first pass, in an import that makes it). */
  createdOrg = false;
  readonly refs: KnownRefs;
  /**
   * The org was created by this import, so none of its resources can exist yet: lookups for
   * existing ones are skipped, and any clash (an id or unique name used elsewhere) still
   * shows up as a conflict on insert.
   */
  fresh = false;
  /** Ids met so far per kind: a second one is a duplicate in whichever batch it comes. */
  private readonly seen = new Map<ResourceKind, Set<string>>();
  /** A fresh org's bulk writes, the next rows prepared while the last one closes. */
  private readonly bulk: BulkPipeline;
  /** List indexes deferred to a later pass after their step ended (bulk-pipeline.ts recheck), by DataOrg field. */
  readonly lateDeferred = new Map<string, number[]>();
  /** The writer for lookups: each closes the open bulk write first. */
  private readonly lookups: Pick<ResourceWriter, 'existingRefs'> = {
    existingRefs: async (refs) => {
      await this.settle();
      return this.writer.existingRefs(refs);
    },
  };

  constructor(
    private readonly ctx: SessionContext,
    private readonly writer: ResourceWriter,
    private readonly orgId: string,
    known: ImportRefs,
  ) {
    this.refs = new KnownRefs(known, orgId);
    this.bulk = new BulkPipeline({
      openBulk: (kind) => this.writer.openBulk(kind.type, this.orgId),
      provisional: (kind, c) => this.refs.provide(kind, c.prepared.item, this.orgId, undefined),
      stored: (kind, c) => this.results.add({ orgId: this.orgId, type: kind.type, id: c.id, outcome: 'created', item: c.prepared.item }),
      retry: (kind, held) => insertAll(this.batchContext(), kind, held, this.outcomes(kind)),
      recheck: (kind, candidates, deferring) => this.recheck(kind, candidates, deferring),
      signal: ctx.signal,
    });
  }

  /** Whether this org was imported before in this run or is in the database. */
  async orgExists(): Promise<boolean> {
    const ref = { kind: 'org', id: this.orgId } as const;
    const state = this.refs.lookup(ref);
    if (state.found) return state.why === undefined;
    return (await this.lookups.existingRefs([ref])).has(refKey(ref));
  }

  /** Lets dependents refer to an existing resource without reporting it again. */
  markPresent(kind: ResourceKind, item: JsonObject): void {
    this.refs.provide(kind, item, this.orgId, undefined);
  }

  /** `present`: the resource is in the database all the same (a conflicting one was kept), so dependents may refer to it. */
  private record(
    kind: ResourceKind,
    c: { id: string; item: JsonObject },
    outcome: ItemResult['outcome'],
    message?: string,
    present = false,
  ) {
    // The results keep only the naming fields (a million-user report must not hold every user),
    // and read them from the whole item: no summary object is made for a packed success.
    const result: ItemResult = { orgId: this.orgId, type: kind.type, id: c.id, outcome, item: c.item };
    if (message !== undefined) result.message = message;
    this.results.add(result);
    if (kind.type === 'org' && outcome === 'created') this.createdOrg = true;
    const why = !present && (outcome === 'failed' || outcome === 'skipped') ? `${kind.type} ${c.id} was not imported` : undefined;
    this.refs.provide(kind, c.item, this.orgId, why);
  }

  /**
   * Imports a batch of one kind's items (a kind's list may come in several batches, one after
   * the other). In an org this import created, batches go into one bulk write left open (a
   * COPY on PostgreSQL) for up to SEGMENT_ROWS rows: each batch's rows are sent as soon as they
   * are prepared, and the database stores them while the next batch is read and prepared, so
   * idport and the database work at the same time instead of taking turns. (A bulk write per
   * batch, left running while the next was prepared, still took turns: its rows were encoded
   * only once the next batch was ready, and a 200,000-user import waited 11.6 of its 18.5 s on
   * writes; issue 10.) A batch of another kind, or a full write, starts the open write's close
   * and is prepared while it closes (bulk-pipeline.ts); every other database call waits for the
   * writes to close first, and the pass calls settle() before it commits.
   *
   * With `deferUnresolved`, an item that refers to anything not present yet (not known to this
   * import as present, nor in the database) is neither written nor reported: its index in its
   * list is returned, for a later pass to import.
   */
  async importStep({ kind, items, first = 0, failed = [] }: Step, deferUnresolved = false): Promise<number[]> {
    for (const f of failed) {
      // An item the source could not decode: named by what of it can be read, else by its place.
      const id = kind.id(f.item, this.orgId);
      this.record(kind, { id: nameless(id) ? positionName(kind, f.item, first) : id, item: f.item }, 'failed', f.message);
    }
    const seen = this.seen.get(kind) ?? new Set<string>();
    this.seen.set(kind, seen);
    const deferred: number[] = [];
    const size = this.fresh ? FRESH_BATCH : CHUNK;
    for (let at = 0; at < items.length; at += size) {
      const batch = items.slice(at, at + size);
      await this.importBatch(kind, batch, { seen, first: first + at }, deferUnresolved ? deferred : undefined);
    }
    return deferred;
  }

  /** Sends and closes the bulk writes (bulk-pipeline.ts): before any other statement, and before the pass commits. */
  settle(): Promise<void> {
    return this.bulk.settle();
  }

  /** Drops the open bulk write, for a pass that is failing: its transaction can then roll back. */
  abandon(): Promise<void> {
    return this.bulk.abandon();
  }

  /**
   * Candidates prepared behind a refused bulk write, checked again now that its rows are
   * reported: those whose references it failed to keep are reported (or deferred) as if they
   * had been checked after it, and their provisional presence is withdrawn.
   */
  private async recheck(kind: ResourceKind, candidates: Candidate[], deferring: boolean): Promise<Candidate[]> {
    const items = candidates.map((c) => c.prepared.item);
    const problems = await referenceProblems(kind, items, this.orgId, this.refs, this.writer);
    if (problems.size === 0) return candidates;
    return candidates.filter((c, i) => {
      const problem = problems.get(i);
      if (!problem) return true;
      this.refs.withdraw(kind, c.prepared.item, this.orgId);
      if (!deferring) this.record(kind, { id: c.id, item: c.original }, problem.outcome, problem.message);
      else this.lateDeferred.set(kind.field, [...(this.lateDeferred.get(kind.field) ?? []), c.index]);
      return false;
    });
  }

  private batchContext(): BatchContext {
    return { writer: this.writer, orgId: this.orgId, signal: this.ctx.signal, fresh: this.fresh };
  }

  private outcomes(kind: ResourceKind): WriteOutcomes {
    return {
      written: (c, outcome) => this.record(kind, { id: c.id, item: c.prepared.item }, outcome),
      refused: (c, message) => this.record(kind, { id: c.id, item: c.original }, 'failed', message),
    };
  }

  /** `at`: where the batch starts in the kind's list, and the ids met so far (a second one is a duplicate wherever it is). */
  private async importBatch(
    kind: ResourceKind,
    items: readonly JsonObject[],
    at: { seen: Set<string>; first: number },
    deferred: number[] | undefined,
  ): Promise<void> {
    const reject: Reject = (c, e) => this.record(kind, { id: c.id, item: c.original }, 'failed', errorText(e));
    const candidates = await this.withReferences(kind, prepareAll(kind, items, this.orgId, reject, at), deferred);
    const stored = this.fresh ? new Map<string, StoredResource>() : await this.storedById(kind, candidates);

    const inserts: Candidate[] = [];
    const replaces: Candidate[] = [];
    for (const c of candidates) {
      const found = stored.get(c.id);
      let state: StoredState | undefined;
      try {
        state = found && {
          orgId: found.orgId,
          same: (found.orgId ?? this.orgId) === this.orgId && (await sameAs(c, found, this.ctx.hasher)),
        };
      } catch (e) {
        // The stored hash cannot check this plaintext password: this user alone fails.
        if (!isDomainError(e)) throw e;
        this.record(kind, { id: c.id, item: c.original }, 'failed', errorText(e), true);
        continue;
      }
      const decision = decide({ type: kind.type, id: c.id, orgId: this.orgId }, state, this.ctx.conflictPolicy);
      if (decision.action === 'insert') inserts.push(c);
      else if (decision.action === 'replace') replaces.push(c);
      else {
        const item =
          decision.shows === 'prepared' ? c.prepared.item : decision.shows === 'stored' ? (found as StoredResource).item : c.original;
        this.record(kind, { id: c.id, item }, decision.outcome, decision.message, decision.present);
      }
    }

    const unhashable = await hashPasswords([...inserts, ...replaces], this.ctx.hasher, this.ctx.signal, reject);
    const toInsert = unhashable.size ? inserts.filter((c) => !unhashable.has(c)) : inserts;
    const toReplace = unhashable.size ? replaces.filter((c) => !unhashable.has(c)) : replaces;
    // Nothing is stored in a fresh org, so nothing is replaced there: all of it goes in bulk.
    if (this.fresh && toReplace.length === 0) return this.bulk.hold(kind, toInsert, deferred !== undefined);
    await this.settle();
    const outcomes = this.outcomes(kind);
    await insertAll(this.batchContext(), kind, toInsert, outcomes);
    await replaceAll(this.batchContext(), kind, toReplace, outcomes);
  }

  /**
   * Drops (and reports) candidates whose references failed or do not exist; or, given
   * `deferred`, drops them unreported and adds their indexes to it.
   */
  private async withReferences(kind: ResourceKind, candidates: Candidate[], deferred?: number[]): Promise<Candidate[]> {
    const items = candidates.map((c) => c.prepared.item);
    const problems = await referenceProblems(kind, items, this.orgId, this.refs, this.lookups);
    if (problems.size === 0) return candidates;
    return candidates.filter((c, i) => {
      const problem = problems.get(i);
      if (problem && deferred) deferred.push(c.index);
      else if (problem) this.record(kind, { id: c.id, item: c.original }, problem.outcome, problem.message);
      return !problem;
    });
  }

  private async storedById(kind: ResourceKind, candidates: Candidate[]): Promise<Map<string, StoredResource>> {
    await this.settle();
    const map = new Map<string, StoredResource>();
    for (let i = 0; i < candidates.length; i += CHUNK) {
      const items = candidates.slice(i, i + CHUNK).map((c) => c.prepared.item);
      for (const s of await this.writer.findExisting(kind.type, this.orgId, items)) map.set(kind.id(s.item, s.orgId ?? this.orgId), s);
    }
    return map;
  }
}
