import type { JsonObject } from '../../domain/json.js';
import type { Ref, ResourceKind } from '../../domain/resources/kinds.js';
import type { ResourceWriter } from '../ports.js';

/** `kind:id`, or `kind:id@org` for a reference that must stay inside `org`. */
export const refKey = (r: Ref) => (r.org === undefined ? `${r.kind}:${r.id}` : `${r.kind}:${r.id}@${r.org}`);

/** ref key → undefined when present, else why it is not. */
export type RefStates = Map<string, string | undefined>;

/** What is known about a reference without asking the database: found, and why it is missing if it is. */
export interface RefState {
  found: boolean;
  why?: string | undefined;
}

/**
 * What one org's pass knows about references: what it made present or failed to (`provided`),
 * over what the import's earlier passes did (`outer`).
 */
export class KnownRefs {
  readonly provided: RefStates = new Map();

  constructor(private readonly outer: ReadonlyMap<string, string | undefined>) {}

  lookup(key: string): RefState {
    if (this.provided.has(key)) return { found: true, why: this.provided.get(key) };
    return this.outer.has(key) ? { found: true, why: this.outer.get(key) } : { found: false };
  }

  /** Records what `item` of `kind` lets others refer to, as present (`why` undefined) or not. */
  provide(kind: ResourceKind, item: JsonObject, orgId: string, why: string | undefined): void {
    for (const ref of kind.provides?.(item, orgId) ?? []) {
      this.provided.set(refKey(ref), why);
      this.provided.set(refKey({ ...ref, org: orgId }), why);
    }
  }
}

/**
 * Folds a committed pass into the import's references. A later failure (an org sent twice,
 * say) must not hide what an earlier pass made present.
 */
export function mergeRefs(into: RefStates, pass: RefStates): void {
  for (const [k, v] of pass) if (v === undefined || !into.has(k)) into.set(k, v);
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
  const unresolved: Ref[] = [];
  for (const item of items) for (const r of kind.refs(item, orgId)) if (!known.lookup(refKey(r)).found) unresolved.push(r);
  const inDb = unresolved.length ? await writer.existingRefs(unresolved) : new Set<string>();
  const problems = new Map<number, RefProblem>();
  items.forEach((item, index) => {
    const problem = firstProblem(kind.refs(item, orgId), known, inDb);
    if (problem) problems.set(index, problem);
  });
  return problems;
}

function firstProblem(refs: readonly Ref[], known: KnownRefs, inDb: ReadonlySet<string>): RefProblem | undefined {
  for (const r of refs) {
    const key = refKey(r);
    const state = known.lookup(key);
    if (state.found && state.why !== undefined) return { outcome: 'skipped', message: `depends on ${r.kind} ${r.id}: ${state.why}` };
    if (state.found || inDb.has(key)) continue;
    const what = `${r.kind.replace('_', ' ')} ${r.id}`;
    if (r.org !== undefined) {
      const anyOrg = refKey({ kind: r.kind, id: r.id });
      if (known.lookup(anyOrg).found || inDb.has(anyOrg)) {
        return { outcome: 'failed', message: `refers to ${what} of another organisation (IMPORT-other-org)` };
      }
    }
    return { outcome: 'failed', message: `refers to ${what}, which does not exist (IMPORT-reference)` };
  }
  return undefined;
}
