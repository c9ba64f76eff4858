import { type JsonObject, stringAt } from '../../domain/json.js';
import { isStorableText } from '../../domain/resources/field-rules.js';
import { RESOURCE_KINDS, type ResourceKind } from '../../domain/resources/kinds.js';

/**
 * The import's plan: ZITADEL's three passes over all orgs (org-local resources, then cross-org
 * grants, then members), and what of an org each pass reads. A later pass can refer to any org
 * created by an earlier one.
 */
export type Pass = 1 | 2 | 3;
export const LATER_PASSES = [2, 3] as const;

/** One step of an org's pass: a kind, and the org's items of it. */
export interface Step {
  kind: ResourceKind;
  items: readonly JsonObject[];
}

/** The head of a DataOrg: the org itself (its name in `org`, and `orgState`). */
export function orgHead(org: JsonObject): JsonObject {
  const head: JsonObject = { org: org.org ?? {} };
  if (org.orgState !== undefined) head.orgState = org.orgState;
  return head;
}

/**
 * A DataOrg without a name adds resources to an org that exists already (a later part of a
 * streamed org, or data for an org created before); only a new org needs a name.
 */
export const addsToExistingOrg = (org: JsonObject) => stringAt(org, 'org.name') === '';

/** An org's items of `kind` (a singleton as a list of one). */
function itemsOf(org: JsonObject, kind: ResourceKind): JsonObject[] {
  const value = org[kind.field];
  const items = kind.repeated ? (Array.isArray(value) ? value : []) : value ? [value] : [];
  return items as JsonObject[];
}

/** A step of an org's first pass; `deferUnresolved`: items whose references are not all present yet wait for their own pass. */
export interface FirstPassStep extends Step {
  deferUnresolved: boolean;
}

/**
 * The steps of an org's first pass, after its head. An org this import created (`fresh`) also
 * takes its grants and members, in registry order, each written now if all it refers to is
 * present and left for its pass otherwise (typically a grant on an org later in the file): a
 * new org's grants and members need not be held until every org has had its first pass. An
 * org that existed before keeps ZITADEL's three passes.
 */
export function firstPassSteps(org: JsonObject, fresh: boolean): FirstPassStep[] {
  return RESOURCE_KINDS.filter((k) => k.pass === 1 || fresh).map((kind) => ({
    kind,
    items: itemsOf(org, kind),
    deferUnresolved: kind.pass > 1,
  }));
}

/** Ordinals (indexes in the DataOrg field) of an org's items left for their own pass, by field. */
export type Deferred = Record<string, number[]>;

/**
 * The passes after the first that an org runs, from its first pass's outcome: both for an org
 * that existed before (ZITADEL's order); for one this import created, those of its deferred items.
 */
export function laterPassesOf(first: { fresh: boolean; deferred: Deferred }): Pass[] {
  if (!first.fresh) return [...LATER_PASSES];
  return LATER_PASSES.filter((pass) => RESOURCE_KINDS.some((k) => k.pass === pass && (first.deferred[k.field]?.length ?? 0) > 0));
}

/**
 * Where a later pass reads an org's grants and members again: the org at `position` (its place
 * among the source's DataOrgs, from 0), and of its `field` the items at `ordinals` (ascending),
 * or every item when `ordinals` is undefined (an org that existed before). Today's sources hold
 * what is asked for (HeldLaterItems); a file source can read the items again instead.
 */
export interface LaterItems {
  itemsAt(position: number, field: string, ordinals: readonly number[] | undefined): Promise<readonly JsonObject[]>;
  /** The later passes are done with the org at `position`. */
  release(position: number): void;
}

/** An org the later passes still have work for. */
export interface LaterOrg {
  position: number;
  orgId: string;
  passes: Pass[];
  /** Undefined: every later item (an org that existed before). */
  deferred: Deferred | undefined;
}

/** The steps of a later pass of `org`, read from `source`. */
export async function laterSteps(source: LaterItems, org: LaterOrg, pass: Pass): Promise<Step[]> {
  const steps: Step[] = [];
  for (const kind of RESOURCE_KINDS.filter((k) => k.pass === pass)) {
    const ordinals = org.deferred ? (org.deferred[kind.field] ?? []) : undefined;
    steps.push({ kind, items: ordinals?.length === 0 ? [] : await source.itemsAt(org.position, kind.field, ordinals) });
  }
  return steps;
}

/** Why an org's id cannot be used (it keys every row of the org), or undefined. */
export function orgIdProblem(orgId: string): string | undefined {
  if (!orgId) return 'orgId is required (IMPORT-required)';
  if (!isStorableText(orgId)) return 'orgId holds a NUL character or a lone surrogate (IMPORT-text)';
  if ([...orgId].length > 64) return "orgId is longer than 64 characters, idport's id limit (IMPORT-length)";
  return undefined;
}

const LATER_FIELDS = RESOURCE_KINDS.filter((k) => k.pass > 1).map((k) => k.field);

/**
 * LaterItems over orgs read into memory: keeps, per org, only what its later passes will ask
 * for (every grant and member of an org that existed before; the deferred items of a new one).
 */
export class HeldLaterItems implements LaterItems {
  private readonly held = new Map<number, Map<string, Map<number, JsonObject>>>();

  hold(position: number, org: JsonObject, deferred: Deferred | undefined): void {
    const fields = new Map<string, Map<number, JsonObject>>();
    for (const field of LATER_FIELDS) {
      const value = org[field];
      if (!Array.isArray(value)) continue;
      const items = value as JsonObject[];
      const ordinals = deferred ? (deferred[field] ?? []) : items.map((_, i) => i);
      if (ordinals.length) fields.set(field, new Map(ordinals.map((i) => [i, items[i] as JsonObject])));
    }
    this.held.set(position, fields);
  }

  async itemsAt(position: number, field: string, ordinals: readonly number[] | undefined): Promise<readonly JsonObject[]> {
    const items = this.held.get(position)?.get(field);
    if (!items) return [];
    return ordinals ? ordinals.flatMap((i) => (items.has(i) ? [items.get(i) as JsonObject] : [])) : [...items.values()];
  }

  release(position: number): void {
    this.held.delete(position);
  }
}
