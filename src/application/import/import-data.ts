import { DomainError, isDomainError } from '../../domain/errors.js';
import { canonicalJson, type JsonObject, pickPaths, stringAt } from '../../domain/json.js';
import { ORG_KIND, RESOURCE_KINDS, type Ref, type ResourceKind } from '../../domain/resources/kinds.js';
import { type PreparedResource, prepareResource } from '../../domain/resources/prepare.js';
import type { BlobStorage, BlobTarget, ResourceTransactions, ResourceWriter, StoredResource } from '../ports.js';
import { checkDeadline, deadlineError } from './deadline.js';
import { type ImportReport, type ItemResult, isSuccess } from './import-report.js';
import { readAhead } from './read-ahead.js';

/** What to do when a resource exists with different content. */
export type ConflictPolicy = 'fail' | 'skip' | 'overwrite';

/**
 * DataOrgs inline or as a stream (whole orgs, one after the other), or a blob (GCS object,
 * local file) and how to decode its bytes into orgs as they arrive.
 */
export type ImportSource =
  | { kind: 'inline'; orgs: Iterable<JsonObject> | AsyncIterable<JsonObject> }
  | {
      kind: 'blob';
      target: BlobTarget;
      /** Checks the whole file first, so a truncated or malformed one writes nothing. */
      validate(bytes: AsyncIterable<Uint8Array>): Promise<void>;
      decode(bytes: AsyncIterable<Uint8Array>): AsyncIterable<DecodedOrg>;
    };

/** One org read from a file: decoded, or why it could not be. */
export type DecodedOrg = { org: JsonObject } | { orgId: string; error: string };

export interface ImportCommand {
  /** DataOrg items in the zitadel.admin.v1 JSON shape (v1 input is normalised before). */
  source: ImportSource;
  conflictPolicy: ConflictPolicy;
  /** Report what would happen, write nothing. */
  dryRun: boolean;
  signal: AbortSignal;
}

export interface ImportDeps {
  tx: ResourceTransactions;
  blobs: BlobStorage;
  hasher: { hash(plain: string): Promise<string>; verify(plain: string, encoded: string): Promise<boolean> };
}

/** Rows per multi-row insert: big enough to amortise round trips, small enough to retry one by one. */
const CHUNK = 5000;

/**
 * Resources created between refreshes of the planner statistics (after the org's transaction
 * commits). Measured with `npm run bench`: without it, exporting right after importing a
 * 100,000-user org ran 5× slower, each page planned as a scan of an "empty" table.
 */
const ANALYZE_AFTER = 10_000;

const refKey = (r: Ref) => `${r.kind}:${r.id}`;
const errorText = (e: unknown) => (isDomainError(e) ? `${e.message} (${e.id})` : e instanceof Error ? e.message : 'unexpected error');

/**
 * Imports orgs in ZITADEL's three passes (org-local resources, cross-org grants, members).
 * Each org and pass is one transaction; each batch of rows a savepoint, retried row by row
 * when it fails, so one bad resource never takes its neighbours down. Every resource ends in
 * the report: created, unchanged, updated, skipped (with the dependency that failed) or failed.
 */
export function createImporter(deps: ImportDeps) {
  return async function importData(cmd: ImportCommand): Promise<ImportReport> {
    const results: ItemResult[] = [];
    /** ref key → undefined when present, else why it is not. */
    const known = new Map<string, string | undefined>();
    const committed = () => ({
      committed: results.filter(isSuccess).length,
      failed: results.filter((r) => !isSuccess(r)).length,
    });

    const runPass = async (writer: ResourceWriter, org: JsonObject, pass: 1 | 2 | 3) => {
      const orgId = stringAt(org, 'orgId');
      const pending: ItemResult[] = [];
      const session = new OrgSession(deps, cmd, writer, orgId, pending, (key) =>
        known.has(key) ? { found: true, why: known.get(key) } : { found: false },
      );
      session.fresh = pass > 1 && freshOrgs.has(orgId);
      if (pass === 1) {
        const head: JsonObject = { org: org.org ?? {} };
        if (org.orgState !== undefined) head.orgState = org.orgState;
        // A DataOrg without a name adds resources to an org that exists already (a later part
        // of a streamed org, or data for an org created before); only a new org needs a name.
        if (stringAt(org, 'org.name') === '' && (await session.orgExists())) {
          session.markPresent(ORG_KIND, head);
        } else {
          await session.importKind(ORG_KIND, [head]);
          session.fresh = pending.some((r) => r.type === 'org' && r.outcome === 'created');
        }
      }
      for (const kind of RESOURCE_KINDS) {
        if (kind.pass !== pass) continue;
        const value = org[kind.field];
        const items = kind.repeated ? (Array.isArray(value) ? value : []) : value ? [value] : [];
        checkDeadline(cmd.signal, committed);
        await session.importKind(kind, items as JsonObject[]);
      }
      return { pending, provides: session.provided, fresh: session.fresh };
    };

    /** Orgs this import created (once their first pass committed). */
    const freshOrgs = new Set<string>();
    const keep = (outcome: Awaited<ReturnType<typeof runPass>>) => {
      if (outcome.fresh) for (const r of outcome.pending) if (r.type === 'org') freshOrgs.add(r.orgId);
      // A loop, not push(...items): an org's hundred thousand results overflow the argument stack.
      for (const r of outcome.pending) results.push(r);
      // A later failure (an org sent twice, say) must not hide what an earlier pass made present.
      for (const [k, v] of outcome.provides) if (v === undefined || !known.has(k)) known.set(k, v);
    };

    let sinceAnalyze = 0;
    /** Orgs reduced to what the later passes need, kept while the stream goes on. */
    const later: JsonObject[] = [];
    const runAll = async (runOrgPass: (org: JsonObject, pass: 1 | 2 | 3) => Promise<void>) => {
      for await (const decoded of orgsOf(deps, cmd)) {
        if ('error' in decoded) {
          results.push({ orgId: decoded.orgId, type: 'org', id: decoded.orgId, outcome: 'failed', message: decoded.error, item: {} });
          continue;
        }
        const org = decoded.org;
        if (!stringAt(org, 'orgId')) {
          results.push({ orgId: '', type: 'org', id: '', outcome: 'failed', message: 'orgId is required', item: {} });
          continue;
        }
        checkDeadline(cmd.signal, committed);
        await runOrgPass(org, 1);
        later.push(laterPart(org));
      }
      for (const pass of [2, 3] as const) {
        for (const org of later) {
          checkDeadline(cmd.signal, committed);
          await runOrgPass(org, pass);
        }
      }
    };

    try {
      if (cmd.dryRun) {
        // One transaction for everything, rolled back: later passes can see earlier ones.
        await deps.tx.write(cmd.signal, { rollback: true }, (writer) =>
          runAll(async (org, pass) => keep(await writer.savepoint((w) => runPass(w, org, pass)))),
        );
      } else {
        await runAll(async (org, pass) => {
          const outcome = await deps.tx.write(cmd.signal, { rollback: false }, (w) => runPass(w, org, pass));
          keep(outcome);
          sinceAnalyze += outcome.pending.filter((r) => r.outcome === 'created').length;
          if (sinceAnalyze >= ANALYZE_AFTER) {
            await deps.tx.analyze();
            sinceAnalyze = 0;
          }
        });
      }
    } catch (e) {
      if (cmd.signal.aborted) throw deadlineError(cmd.signal, { ...committed(), committedByType: summary(results) });
      throw e;
    }
    return { results, dryRun: cmd.dryRun };
  };
}

async function* orgsOf(deps: ImportDeps, cmd: ImportCommand): AsyncGenerator<DecodedOrg> {
  const source = cmd.source;
  if (source.kind === 'inline') {
    for await (const org of source.orgs) yield { org };
    return;
  }
  deps.blobs.check(source.target);
  await source.validate(deps.blobs.read(source.target, cmd.signal));
  yield* readAhead(source.decode(deps.blobs.read(source.target, cmd.signal)));
}

const LATER_FIELDS = RESOURCE_KINDS.filter((k) => k.pass > 1).map((k) => k.field);

/** The part of an org the second and third passes read: its id and its grants and members. */
function laterPart(org: JsonObject): JsonObject {
  const part: JsonObject = { orgId: org.orgId ?? '' };
  for (const field of LATER_FIELDS) if (org[field] !== undefined) part[field] = org[field] ?? null;
  return part;
}

/** What committed before a deadline, per resource type (small enough for an error header). */
function summary(results: ItemResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) if (isSuccess(r)) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}

interface Candidate {
  id: string;
  prepared: PreparedResource;
  original: JsonObject;
}

/** Imports the kinds of one org inside one transaction. */
class OrgSession {
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
    for (const ref of kind.provides?.(item, this.orgId) ?? []) this.provided.set(refKey(ref), undefined);
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
    for (const ref of kind.provides?.(item, this.orgId) ?? []) this.provided.set(refKey(ref), why);
  }

  async importKind(kind: ResourceKind, items: readonly JsonObject[]): Promise<void> {
    if (items.length === 0) return;
    const candidates = await this.checkReferences(kind, this.prepareAll(kind, items));
    const inserts: Candidate[] = [];
    const replaces: Candidate[] = [];
    const existing = this.fresh ? new Map<string, StoredResource>() : await this.existingById(kind, candidates);
    for (const c of candidates) {
      const stored = existing.get(c.id);
      if (!stored) {
        inserts.push(c);
        continue;
      }
      if (stored.orgId !== undefined && stored.orgId !== this.orgId) {
        this.record(kind, c, 'failed', `${kind.type} ${c.id} already exists in another organisation (IMPORT-other-org)`);
      } else if (await this.sameAs(c, stored)) {
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
    await this.hashPasswords([...inserts, ...replaces]);
    for (let i = 0; i < inserts.length; i += CHUNK) {
      checkDeadline(this.cmd.signal, () => ({}));
      await this.insertChunk(kind, inserts.slice(i, i + CHUNK));
    }
    for (const c of replaces) {
      try {
        await this.writer.savepoint((w) => w.replace(kind.type, this.orgId, this.stored(c)));
        this.record(kind, { ...c, item: c.prepared.item }, 'updated');
      } catch (e) {
        if (this.cmd.signal.aborted) throw e;
        this.record(kind, c, 'failed', errorText(e));
      }
    }
  }

  private prepareAll(kind: ResourceKind, items: readonly JsonObject[]): Candidate[] {
    const seen = new Set<string>();
    const out: Candidate[] = [];
    for (const original of items) {
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
        this.record(kind, { id, original }, 'failed', errorText(e));
      }
    }
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

  private async hashPasswords(candidates: Candidate[]) {
    for (const c of candidates) {
      const plain = c.prepared.plaintextPassword;
      if (plain === undefined || !c.prepared.secrets) continue;
      // Imported plaintext is hashed with our own algorithm; the password policy is not applied
      // on import on purpose (ZITADEL does the same): users keep the password they had.
      c.prepared.secrets.passwordHash = await this.deps.hasher.hash(plain);
    }
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
        this.record(kind, chunk[0] as Candidate, 'failed', errorText(e));
        return;
      }
      const half = Math.ceil(chunk.length / 2);
      await this.insertChunk(kind, chunk.slice(0, half));
      await this.insertChunk(kind, chunk.slice(half));
    }
  }
}
