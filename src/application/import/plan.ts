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

/**
 * The kinds of `pass` in import order, each as the org's items of it: a singleton from the
 * head (as a list of one), a list batch by batch as the source reads it, the next batch read
 * while the importer writes this one.
 */
export async function* stepsOf(org: SourceOrg, pass: Pass): AsyncGenerator<Step> {
  for (const kind of RESOURCE_KINDS) {
    if (kind.pass !== pass) continue;
    if (!kind.repeated) {
      const value = org.head[kind.field];
      if (value) yield { kind, items: [value as JsonObject] };
      continue;
    }
    for await (const batch of readAhead(org.items(kind.field))) yield { kind, ...batch };
  }
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
