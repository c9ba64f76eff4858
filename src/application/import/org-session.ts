import { isDomainError } from '../../domain/errors.js';
import { type JsonObject, pickPaths } from '../../domain/json.js';
import type { ResourceKind } from '../../domain/resources/kinds.js';
import type { PasswordHasher, ResourceWriter, StoredResource } from '../ports.js';
import { type BatchContext, CHUNK, insertAll, replaceAll, type WriteOutcomes } from './batch-write.js';
import { type Candidate, errorText, hashPasswords, prepareAll, type Reject, sameAs } from './candidates.js';
import { type ConflictPolicy, decide, type StoredState } from './decide.js';
import type { ItemResult } from './import-report.js';
import { nameless, positionName } from './item-names.js';
import { PackedResults } from './packed-results.js';
import type { Step } from './plan.js';
import { KnownRefs, referenceProblems, refKey } from './references.js';

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
  /** Ids of each kind met so far in this pass: a list may come in several batches (one appearing twice fails). */
  private readonly seen = new Map<ResourceKind, Set<string>>();

  constructor(
    private readonly ctx: SessionContext,
    private readonly writer: ResourceWriter,
    private readonly orgId: string,
    known: ReadonlyMap<string, string | undefined>,
  ) {
    this.refs = new KnownRefs(known);
  }

  /** Whether this org was imported before in this run or is in the database. */
  async orgExists(): Promise<boolean> {
    const key = refKey({ kind: 'org', id: this.orgId });
    const state = this.refs.lookup(key);
    if (state.found) return state.why === undefined;
    return (await this.writer.existingRefs([{ kind: 'org', id: this.orgId }])).has(key);
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
    // Only the naming fields are kept: a million-user report must not hold every user.
    const result: ItemResult = { orgId: this.orgId, type: kind.type, id: c.id, outcome, item: pickPaths(c.item, kind.summary) };
    if (message !== undefined) result.message = message;
    this.results.add(result);
    if (kind.type === 'org' && outcome === 'created') this.createdOrg = true;
    const why = !present && (outcome === 'failed' || outcome === 'skipped') ? `${kind.type} ${c.id} was not imported` : undefined;
    this.refs.provide(kind, c.item, this.orgId, why);
  }

  async importStep({ kind, items, first = 0, failed = [] }: Step): Promise<void> {
    for (const f of failed) {
      // An item the source could not decode: named by what of it can be read, else by its place.
      const id = kind.id(f.item, this.orgId);
      this.record(kind, { id: nameless(id) ? positionName(kind, f.item, first) : id, item: f.item }, 'failed', f.message);
    }
    if (items.length === 0) return;
    const reject: Reject = (c, e) => this.record(kind, { id: c.id, item: c.original }, 'failed', errorText(e));
    const seen = this.seen.get(kind) ?? new Set<string>();
    this.seen.set(kind, seen);
    const candidates = await this.withReferences(kind, prepareAll(kind, items, this.orgId, reject, seen, first));
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
    const batch: BatchContext = { writer: this.writer, orgId: this.orgId, signal: this.ctx.signal, fresh: this.fresh };
    const outcomes: WriteOutcomes = {
      written: (c, outcome) => this.record(kind, { id: c.id, item: c.prepared.item }, outcome),
      refused: (c, message) => this.record(kind, { id: c.id, item: c.original }, 'failed', message),
    };
    await insertAll(batch, kind, unhashable.size ? inserts.filter((c) => !unhashable.has(c)) : inserts, outcomes);
    await replaceAll(batch, kind, unhashable.size ? replaces.filter((c) => !unhashable.has(c)) : replaces, outcomes);
  }

  /** Drops (and reports) candidates whose references failed or do not exist. */
  private async withReferences(kind: ResourceKind, candidates: Candidate[]): Promise<Candidate[]> {
    const items = candidates.map((c) => c.prepared.item);
    const problems = await referenceProblems(kind, items, this.orgId, this.refs, this.writer);
    if (problems.size === 0) return candidates;
    return candidates.filter((c, i) => {
      const problem = problems.get(i);
      if (problem) this.record(kind, { id: c.id, item: c.original }, problem.outcome, problem.message);
      return !problem;
    });
  }

  private async storedById(kind: ResourceKind, candidates: Candidate[]): Promise<Map<string, StoredResource>> {
    const map = new Map<string, StoredResource>();
    for (let i = 0; i < candidates.length; i += CHUNK) {
      const items = candidates.slice(i, i + CHUNK).map((c) => c.prepared.item);
      for (const s of await this.writer.findExisting(kind.type, this.orgId, items)) map.set(kind.id(s.item, s.orgId ?? this.orgId), s);
    }
    return map;
  }
}
