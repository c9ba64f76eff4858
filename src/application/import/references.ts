import type { JsonObject } from '../../domain/json.js';
import { ORG_LOCAL_REF_KINDS, type Ref, type RefKind, type ResourceKind } from '../../domain/resources/kinds.js';
import type { ResourceWriter } from '../ports.js';

/** `kind:id`, or `kind:id@org` for a reference that must stay inside `org` (the keys of ResourceWriter.existingRefs). */
export const refKey = (r: Ref | { kind: RefKind; id: string; org?: string }) =>
  r.org === undefined ? `${r.kind}:${r.id}` : `${r.kind}:${r.id}@${r.org}`;

/** What is known about a reference without asking the database: found, and why it is missing if it is. */
export interface RefState {
  found: boolean;
  why?: string | undefined;
}

/**
 * What one org's pass made present (`why` undefined) or failed to, by kind and id; everything
 * in it is of `orgId`. The ids are the strings of the parsed items: no key is built per resource.
 */
export interface PassRefs {
  orgId: string;
  states: Map<RefKind, Map<string, string | undefined>>;
}

const ORG_LOCAL: ReadonlySet<RefKind> = new Set(ORG_LOCAL_REF_KINDS);

function entryOf<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/**
 * What the import's committed passes made present or failed to, for the references of later
 * ones. Present resources by kind and id, with the org that holds them (a million users of one
 * org are one map of their ids to that org's id string); the kinds only referred to inside their
 * org (ORG_LOCAL_REF_KINDS) per org, forgotten once the org is done (the database still answers
 * for them); failures by key, few, kept to the end so that dependents are skipped with the reason.
 * Each key behaves as a key of its own: present once, it stays present; else its first failure
 * is kept (an org sent twice must not hide what its first copy made present).
 */
export class ImportRefs {
  private readonly owners = new Map<RefKind, Map<string, string>>();
  /** `kind:id@org` of a resource present in a second org (rare: an id the other org kept unchanged). */
  private readonly alsoOwned = new Set<string>();
  private readonly local = new Map<string, Map<RefKind, Set<string>>>();
  private readonly failed = new Map<string, string>();

  lookup(r: Ref | { kind: RefKind; id: string; org?: string }): RefState {
    if (this.present(r.kind, r.id, r.org)) return { found: true };
    const why = this.failed.get(refKey(r));
    return why === undefined ? { found: false } : { found: true, why };
  }

  /** Folds a committed pass in. */
  merge(pass: PassRefs): void {
    const org = pass.orgId;
    for (const [kind, states] of pass.states) {
      for (const [id, why] of states) {
        if (why === undefined) this.addPresent(kind, id, org);
        else {
          if (!this.present(kind, id, undefined) && !this.failed.has(refKey({ kind, id }))) this.failed.set(refKey({ kind, id }), why);
          if (!this.present(kind, id, org) && !this.failed.has(refKey({ kind, id, org }))) this.failed.set(refKey({ kind, id, org }), why);
        }
      }
    }
  }

  /** The org is done: what only it could refer to is left to the database. */
  forgetOrgLocal(orgId: string): void {
    this.local.delete(orgId);
  }

  private present(kind: RefKind, id: string, org: string | undefined): boolean {
    if (ORG_LOCAL.has(kind)) {
      if (org !== undefined) return this.local.get(org)?.get(kind)?.has(id) === true;
      for (const kinds of this.local.values()) if (kinds.get(kind)?.has(id)) return true;
      return false;
    }
    const owner = this.owners.get(kind)?.get(id);
    if (owner === undefined) return false;
    return org === undefined || owner === org || this.alsoOwned.has(refKey({ kind, id, org }));
  }

  private addPresent(kind: RefKind, id: string, org: string): void {
    // Present now: its failures can no longer be seen.
    this.failed.delete(refKey({ kind, id }));
    this.failed.delete(refKey({ kind, id, org }));
    if (ORG_LOCAL.has(kind)) {
      entryOf(
        entryOf(this.local, org, () => new Map<RefKind, Set<string>>()),
        kind,
        () => new Set<string>(),
      ).add(id);
      return;
    }
    const ids = entryOf(this.owners, kind, () => new Map<string, string>());
    const owner = ids.get(id);
    if (owner === undefined) ids.set(id, org);
    else if (owner !== org) this.alsoOwned.add(refKey({ kind, id, org }));
  }
}

/**
 * What one org's pass knows about references: what it made present or failed to (`provided`,
 * the last word on each of its resources), over what the import's earlier passes did (`outer`).
 */
export class KnownRefs {
  readonly provided: PassRefs;

  constructor(
    private readonly outer: ImportRefs,
    orgId: string,
  ) {
    this.provided = { orgId, states: new Map() };
  }

  lookup(r: Ref | { kind: RefKind; id: string; org?: string }): RefState {
    if (r.org === undefined || r.org === this.provided.orgId) {
      const states = this.provided.states.get(r.kind);
      if (states?.has(r.id)) return { found: true, why: states.get(r.id) };
    }
    return this.outer.lookup(r);
  }

  /** Records what `item` of `kind` lets others refer to, as present (`why` undefined) or not. */
  provide(kind: ResourceKind, item: JsonObject, orgId: string, why: string | undefined): void {
    for (const ref of kind.provides?.(item, orgId) ?? []) {
      entryOf(this.provided.states, ref.kind, () => new Map<string, string | undefined>()).set(ref.id, why);
    }
  }

  /** Forgets what `item` was provisionally said to provide: it is left for a later pass. */
  withdraw(kind: ResourceKind, item: JsonObject, orgId: string): void {
    for (const ref of kind.provides?.(item, orgId) ?? []) this.provided.states.get(ref.kind)?.delete(ref.id);
  }
}

/** Why a candidate cannot be written because of what it refers to. */
export type RefProblem = { outcome: 'skipped' | 'failed'; message: string };

/**
 * Checks every reference of every item: known to this import, else asked of the database in
 * one round trip. Returns the problem per item index (items without one are absent).
 */
export async function referenceProblems(
  kind: ResourceKind,
  items: readonly JsonObject[],
  orgId: string,
  known: KnownRefs,
  writer: Pick<ResourceWriter, 'existingRefs'>,
): Promise<Map<number, RefProblem>> {
  // Each item's references are made once: making them again for the second loop was a third of
  // this check's time in a 200,000-user import (issue 10).
  const refsOf = items.map((item) => kind.refs(item, orgId));
  const unresolved: Ref[] = [];
  let failing = false;
  for (const refs of refsOf) {
    for (const r of refs) {
      const state = known.lookup(r);
      if (!state.found) unresolved.push(r);
      else if (state.why !== undefined) failing = true;
    }
  }
  const problems = new Map<number, RefProblem>();
  // Every reference known and present: no problem to name. (Asking the database settles the
  // session's bulk writes first, which can change what is known: then every item is looked at again.)
  if (unresolved.length === 0 && !failing) return problems;
  const inDb = unresolved.length ? await writer.existingRefs(unresolved) : new Set<string>();
  refsOf.forEach((refs, index) => {
    const problem = firstProblem(refs, known, inDb);
    if (problem) problems.set(index, problem);
  });
  return problems;
}

function firstProblem(refs: readonly Ref[], known: KnownRefs, inDb: ReadonlySet<string>): RefProblem | undefined {
  for (const r of refs) {
    const state = known.lookup(r);
    if (state.found && state.why !== undefined) return { outcome: 'skipped', message: `depends on ${r.kind} ${r.id}: ${state.why}` };
    if (state.found || inDb.has(refKey(r))) continue;
    const what = `${r.kind.replace('_', ' ')} ${r.id}`;
    if (r.org !== undefined) {
      const anyOrg = { kind: r.kind, id: r.id };
      if (known.lookup(anyOrg).found || inDb.has(refKey(anyOrg))) {
        return { outcome: 'failed', message: `refers to ${what} of another organisation (IMPORT-other-org)` };
      }
    }
    return { outcome: 'failed', message: `refers to ${what}, which does not exist (IMPORT-reference)` };
  }
  return undefined;
}

/** A pass's references as a checkpoint holds them (jobs): `[kind, id, why or null]`. */
export const passRefsToJson = (p: PassRefs): [RefKind, string, string | null][] =>
  [...p.states].flatMap(([kind, states]) => [...states].map(([id, why]): [RefKind, string, string | null] => [kind, id, why ?? null]));

export function passRefsFromJson(orgId: string, rows: readonly [RefKind, string, string | null][]): PassRefs {
  const states = new Map<RefKind, Map<string, string | undefined>>();
  for (const [kind, id, why] of rows) {
    entryOf(states, kind, () => new Map<string, string | undefined>()).set(id, why ?? undefined);
  }
  return { orgId, states };
}
