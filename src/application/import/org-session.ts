import { DomainError, isDomainError } from '../../domain/errors.js';
import { canonicalJson, type JsonObject, pickPaths } from '../../domain/json.js';
import type { Ref, ResourceKind } from '../../domain/resources/kinds.js';
import { type PreparedResource, prepareResource, type Secrets } from '../../domain/resources/prepare.js';
import type { ResourceWriter, StoredResource } from '../ports.js';
import { checkDeadline } from './deadline.js';
import type { ImportCommand, ImportDeps } from './import-data.js';
import type { ItemResult } from './import-report.js';
import { nameless, positionName, withGeneratedId } from './item-names.js';

/** Rows per multi-row insert: big enough to amortise round trips, small enough to retry one by one. */
const CHUNK = 5000;
/** Plaintext passwords hashed at once: enough to keep libuv's four pool threads busy. */
const HASH_PARALLELISM = 8;

/** `kind:id`, or `kind:id@org` for a reference that must stay inside `org`. */
export const refKey = (r: Ref) => (r.org === undefined ? `${r.kind}:${r.id}` : `${r.kind}:${r.id}@${r.org}`);
const errorText = (e: DomainError) => `${e.message} (${e.id})`;

interface Candidate {
  id: string;
  prepared: PreparedResource;
  original: JsonObject;
}

/** Imports the kinds of one org inside one transaction. */
export class OrgSession {
  /** What this session made present (undefined) or failed to (reason). */
  readonly provided = new Map<string, string | undefined>();
  /**
   * The org was created by this import, so none of its resources can exist yet: lookups for
   * existing ones are skipped, and any clash (an id or unique name used elsewhere) still
   * shows up as a conflict on insert.
   */
  fresh = false;

  constructor(
    private readonly deps: ImportDeps,
    private readonly cmd: ImportCommand,
    private readonly writer: ResourceWriter,
    private readonly orgId: string,
    private readonly pending: ItemResult[],
    private readonly lookupOuter: (key: string) => { found: boolean; why?: string | undefined },
  ) {}

  /** Whether this org was imported before in this run or is in the database. */
  async orgExists(): Promise<boolean> {
    const key = refKey({ kind: 'org', id: this.orgId });
    const state = this.lookup(key);
    if (state.found) return state.why === undefined;
    return (await this.writer.existingRefs([{ kind: 'org', id: this.orgId }])).has(key);
  }

  /** Lets dependents refer to an existing resource without reporting it again. */
  markPresent(kind: ResourceKind, item: JsonObject) {
    for (const ref of kind.provides?.(item, this.orgId) ?? []) {
      this.provided.set(refKey(ref), undefined);
      this.provided.set(refKey({ ...ref, org: this.orgId }), undefined);
    }
  }

  private lookup(key: string) {
    return this.provided.has(key) ? { found: true, why: this.provided.get(key) } : this.lookupOuter(key);
  }

  /** `present`: the resource is in the database all the same (a conflicting one was kept), so dependents may refer to it. */
  private record(
    kind: ResourceKind,
    c: { id: string; original: JsonObject; item?: JsonObject },
    outcome: ItemResult['outcome'],
    message?: string,
    present = false,
  ) {
    const item = c.item ?? c.original;
    // Only the naming fields are kept: a million-user report must not hold every user.
    const result: ItemResult = { orgId: this.orgId, type: kind.type, id: c.id, outcome, item: pickPaths(item, kind.summary) };
    if (message !== undefined) result.message = message;
    this.pending.push(result);
    const why = !present && (outcome === 'failed' || outcome === 'skipped') ? `${kind.type} ${c.id} was not imported` : undefined;
    for (const ref of kind.provides?.(item, this.orgId) ?? []) {
      this.provided.set(refKey(ref), why);
      this.provided.set(refKey({ ...ref, org: this.orgId }), why);
    }
  }

  async importKind(kind: ResourceKind, items: readonly JsonObject[]): Promise<void> {
    if (items.length === 0) return;
    const candidates = await this.checkReferences(kind, this.prepareAll(kind, items));
    const inserts: Candidate[] = [];
    const replaces: Candidate[] = [];
    const existing = this.fresh ? new Map<string, StoredResource>() : await this.existingById(kind, candidates);
    for (const c of candidates) {
      const stored = existing.get(c.id);
      let same: boolean;
      try {
        same = stored !== undefined && (stored.orgId === undefined || stored.orgId === this.orgId) && (await this.sameAs(c, stored));
      } catch (e) {
        // The stored hash cannot check this plaintext password: this user alone fails.
        if (!isDomainError(e)) throw e;
        this.record(kind, c, 'failed', errorText(e), true);
        continue;
      }
      if (!stored) {
        inserts.push(c);
        continue;
      }
      if (stored.orgId !== undefined && stored.orgId !== this.orgId) {
        this.record(kind, c, 'failed', `${kind.type} ${c.id} already exists in another organisation (IMPORT-other-org)`);
      } else if (same) {
        this.record(kind, { ...c, item: c.prepared.item }, 'unchanged');
      } else if (this.cmd.conflictPolicy === 'overwrite') {
        replaces.push(c);
      } else if (this.cmd.conflictPolicy === 'skip') {
        this.record(
          kind,
          { ...c, item: stored.item },
          'skipped',
          'exists with different content; kept as it is (conflict policy skip)',
          true,
        );
      } else {
        // It failed to import, but a resource with this id is in the database: dependents may use it.
        this.record(kind, c, 'failed', `${kind.type} ${c.id} already exists with different content (IMPORT-conflict)`, true);
      }
    }
    const unhashable = await this.hashPasswords(kind, [...inserts, ...replaces]);
    const toInsert = unhashable.size ? inserts.filter((c) => !unhashable.has(c)) : inserts;
    for (let i = 0; i < toInsert.length; i += CHUNK) {
      checkDeadline(this.cmd.signal, () => ({}));
      await this.insertChunk(kind, toInsert.slice(i, i + CHUNK));
    }
    for (const c of replaces) {
      if (unhashable.has(c)) continue;
      try {
        await this.writer.savepoint((w) => w.replace(kind.type, this.orgId, this.stored(c)));
        this.record(kind, { ...c, item: c.prepared.item }, 'updated');
      } catch (e) {
        // A value the database refuses fails this resource; a fault (connection lost) fails the call.
        if (this.cmd.signal.aborted || !isDomainError(e)) throw e;
        this.record(kind, c, 'failed', errorText(e));
      }
    }
  }

  private prepareAll(kind: ResourceKind, items: readonly JsonObject[]): Candidate[] {
    const seen = new Set<string>();
    const out: Candidate[] = [];
    items.forEach((given, index) => {
      const original = withGeneratedId(kind, given, this.orgId);
      let id = kind.id(original, this.orgId);
      try {
        const prepared = prepareResource(kind, original);
        // Preparing can normalise what the id is made of (trigger types: enum names → ids).
        id = kind.id(prepared.item, this.orgId);
        if (seen.has(id)) throw new DomainError('InvalidArgument', 'IMPORT-duplicate', `${kind.type} ${id} appears twice in this import`);
        seen.add(id);
        out.push({ id, prepared, original });
      } catch (e) {
        if (!isDomainError(e)) throw e;
        this.record(kind, { id: nameless(id) ? positionName(kind, original, index) : id, original }, 'failed', errorText(e));
      }
    });
    return out;
  }

  /** Drops (and reports) candidates whose references failed or do not exist. */
  private async checkReferences(kind: ResourceKind, candidates: Candidate[]): Promise<Candidate[]> {
    const unresolved: Ref[] = [];
    for (const c of candidates) {
      for (const r of kind.refs(c.prepared.item, this.orgId)) if (!this.lookup(refKey(r)).found) unresolved.push(r);
    }
    const inDb = unresolved.length ? await this.writer.existingRefs(unresolved) : new Set<string>();
    return candidates.filter((c) => {
      for (const r of kind.refs(c.prepared.item, this.orgId)) {
        const key = refKey(r);
        const state = this.lookup(key);
        if (state.found && state.why !== undefined) {
          this.record(kind, c, 'skipped', `depends on ${r.kind} ${r.id}: ${state.why}`);
          return false;
        }
        if (!state.found && !inDb.has(key) && r.org !== undefined) {
          const elsewhere = this.lookup(refKey({ kind: r.kind, id: r.id })).found || inDb.has(refKey({ kind: r.kind, id: r.id }));
          if (elsewhere) {
            this.record(kind, c, 'failed', `refers to ${r.kind.replace('_', ' ')} ${r.id} of another organisation (IMPORT-other-org)`);
            return false;
          }
        }
        if (!state.found && !inDb.has(key)) {
          this.record(kind, c, 'failed', `refers to ${r.kind.replace('_', ' ')} ${r.id}, which does not exist (IMPORT-reference)`);
          return false;
        }
      }
      return true;
    });
  }

  private async existingById(kind: ResourceKind, candidates: Candidate[]): Promise<Map<string, StoredResource>> {
    const map = new Map<string, StoredResource>();
    for (let i = 0; i < candidates.length; i += CHUNK) {
      const found = await this.writer.findExisting(
        kind.type,
        this.orgId,
        candidates.slice(i, i + CHUNK).map((c) => c.prepared.item),
      );
      for (const s of found) map.set(kind.id(s.item, s.orgId ?? this.orgId), s);
    }
    return map;
  }

  private async sameAs(c: Candidate, stored: StoredResource): Promise<boolean> {
    if (canonicalJson(c.prepared.item) !== canonicalJson(stored.item)) return false;
    const mine = c.prepared.secrets;
    if (!mine) return true;
    const theirs = stored.secrets ?? { passwordHash: null, otpSecret: null };
    if (mine.otpSecret !== theirs.otpSecret) return false;
    if (c.prepared.plaintextPassword !== undefined) {
      return theirs.passwordHash !== null && this.deps.hasher.verify(c.prepared.plaintextPassword, theirs.passwordHash);
    }
    return mine.passwordHash === theirs.passwordHash;
  }

  /**
   * Hashes imported plaintext passwords with our own algorithm, a few at a time on the native
   * hasher's thread pool. The password policy is not applied on import on purpose (ZITADEL does the
   * same): users keep the password they had. A password the hasher refuses (over bcrypt's 72 bytes)
   * fails its user alone; the failed candidates are returned.
   */
  private async hashPasswords(kind: ResourceKind, candidates: Candidate[]): Promise<Set<Candidate>> {
    const failed = new Set<Candidate>();
    const work = candidates.filter((c) => c.prepared.plaintextPassword !== undefined && c.prepared.secrets);
    for (let i = 0; i < work.length; i += HASH_PARALLELISM) {
      checkDeadline(this.cmd.signal, () => ({}));
      await Promise.all(
        work.slice(i, i + HASH_PARALLELISM).map(async (c) => {
          try {
            (c.prepared.secrets as Secrets).passwordHash = await this.deps.hasher.hash(c.prepared.plaintextPassword as string);
          } catch (e) {
            if (!isDomainError(e)) throw e;
            failed.add(c);
            this.record(kind, c, 'failed', errorText(e));
          }
        }),
      );
    }
    return failed;
  }

  private stored(c: Candidate): StoredResource {
    return c.prepared.secrets ? { item: c.prepared.item, secrets: c.prepared.secrets } : { item: c.prepared.item };
  }

  /**
   * Inserts a batch in a savepoint. In an org this import created, clashes are not expected, so
   * the batch goes in as a plain insert (cheaper than ON CONFLICT's speculative insertion); if
   * anything in it breaks a rule, the batch is halved until the culprits stand alone, and
   * single rows go in with conflict detection so a clash is named rather than thrown.
   */
  private async insertChunk(kind: ResourceKind, chunk: Candidate[]) {
    const plain = this.fresh && chunk.length > 1;
    try {
      const { conflicts } = await this.writer.savepoint((w) =>
        w.insert(
          kind.type,
          this.orgId,
          chunk.map((c) => this.stored(c)),
          { detectConflicts: !plain },
        ),
      );
      const conflicted = new Set(conflicts);
      chunk.forEach((c, i) => {
        if (conflicted.has(i)) {
          this.record(
            kind,
            c,
            'failed',
            `${kind.type} ${c.id} conflicts with an existing resource: its id or a unique name is taken (IMPORT-unique)`,
          );
        } else {
          this.record(kind, { ...c, item: c.prepared.item }, 'created');
        }
      });
    } catch (e) {
      if (this.cmd.signal.aborted) throw e;
      if (chunk.length === 1) {
        // Only a value the database refuses fails the row; a fault fails the call.
        if (!isDomainError(e)) throw e;
        this.record(kind, chunk[0] as Candidate, 'failed', errorText(e));
        return;
      }
      const half = Math.ceil(chunk.length / 2);
      await this.insertChunk(kind, chunk.slice(0, half));
      await this.insertChunk(kind, chunk.slice(half));
    }
  }
}
