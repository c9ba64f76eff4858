import { type JsonObject, stringAt } from '../../domain/json.js';
import { isStorableText } from '../../domain/resources/field-rules.js';
import { RESOURCE_KINDS, type ResourceKind } from '../../domain/resources/kinds.js';
import type { ItemBatch, SourceOrg } from '../ports.js';
import { readAhead } from './read-ahead.js';

/**
 * The import's plan: ZITADEL's three passes over all orgs (org-local resources, then cross-org
 * grants, then members), and what of an org each pass reads. A later pass can refer to any org
 * created by an earlier one.
 */
export type Pass = 1 | 2 | 3;
export const LATER_PASSES = [2, 3] as const;

/**
 * One step of an org's pass: a kind, and a batch of the org's items of it (a kind's list may
 * come in several steps); `first` is the place of `items[0]` in the list, and `failed` the
 * items that could not be decoded (each fails alone).
 */
export interface Step {
  kind: ResourceKind;
  items: readonly JsonObject[];
  first?: number;
  failed?: ItemBatch['failed'];
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

/** A kind an org's pass runs; `deferUnresolved`: items whose references are not all present yet wait for their own pass. */
export interface PassKind {
  kind: ResourceKind;
  deferUnresolved: boolean;
}

/**
 * The kinds of an org's pass, in registry order. An org this import created (`fresh`) takes its
 * grants and members in its first pass too, each written then if all it refers to is present
 * and left for its own pass otherwise (typically a grant on an org later in the file): a new
 * org's grants and members need not wait until every org has had its first pass. An org that
 * existed before keeps ZITADEL's three passes.
 */
export function passKinds(pass: Pass, fresh: boolean): PassKind[] {
  const runs = (k: ResourceKind) => (pass === 1 ? k.pass === 1 || fresh : k.pass === pass);
  return RESOURCE_KINDS.filter(runs).map((kind) => ({ kind, deferUnresolved: pass === 1 && kind.pass > 1 }));
}

/**
 * An org's items of `kind` as steps: a singleton from the head (as a list of one), a list batch
 * by batch as the source reads it, the next batch read while the importer writes this one.
 * With `ordinals` (ascending list indexes), only those items: what a first pass deferred.
 */
export async function* stepsOf(org: SourceOrg, kind: ResourceKind, ordinals?: readonly number[]): AsyncGenerator<Step> {
  if (!kind.repeated) {
    const value = org.head[kind.field];
    if (value && !ordinals) yield { kind, items: [value as JsonObject] };
    return;
  }
  if (ordinals?.length === 0) return;
  const wanted = ordinals && new Set(ordinals);
  for await (const batch of readAhead(org.items(kind.field))) {
    if (!wanted) {
      yield { kind, ...batch };
      continue;
    }
    // The deferred items passed their checks in the first pass (decode failures were reported there).
    const picked = batch.items.flatMap((item, i) => (wanted.has(batch.first + i) ? [{ item, at: batch.first + i }] : []));
    if (picked.length) yield { kind, items: picked.map((p) => p.item), first: picked[0]?.at ?? batch.first };
  }
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

/** An org the later passes still have work for. */
export interface LaterOrg {
  orgId: string;
  passes: Pass[];
  /** The org reduced to its later lists (LATER_FIELDS): a file's org keeps only where they are. */
  source: SourceOrg;
  /** Undefined: every later item (an org that existed before). */
  deferred: Deferred | undefined;
}

/** Why an org's id cannot be used (it keys every row of the org), or undefined. */
export function orgIdProblem(orgId: string): string | undefined {
  if (!orgId) return 'orgId is required (IMPORT-required)';
  if (!isStorableText(orgId)) return 'orgId holds a NUL character or a lone surrogate (IMPORT-text)';
  if ([...orgId].length > 64) return "orgId is longer than 64 characters, idport's id limit (IMPORT-length)";
  return undefined;
}

/** The lists the later passes read: an org keeps only these (and its id) once its first pass is done. */
export const LATER_FIELDS = RESOURCE_KINDS.filter((k) => k.pass > 1).map((k) => k.field);
