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

/** The kinds of `pass` in import order, each with the org's items of it (a singleton as a list of one). */
export function stepsOf(org: JsonObject, pass: Pass): Step[] {
  return RESOURCE_KINDS.filter((k) => k.pass === pass).map((kind) => {
    const value = org[kind.field];
    const items = kind.repeated ? (Array.isArray(value) ? value : []) : value ? [value] : [];
    return { kind, items: items as JsonObject[] };
  });
}

/** Why an org's id cannot be used (it keys every row of the org), or undefined. */
export function orgIdProblem(orgId: string): string | undefined {
  if (!orgId) return 'orgId is required (IMPORT-required)';
  if (!isStorableText(orgId)) return 'orgId holds a NUL character or a lone surrogate (IMPORT-text)';
  if ([...orgId].length > 64) return "orgId is longer than 64 characters, idport's id limit (IMPORT-length)";
  return undefined;
}

const LATER_FIELDS = RESOURCE_KINDS.filter((k) => k.pass > 1).map((k) => k.field);

/** The part of an org the later passes read, kept while the source goes on: its id and its grants and members. */
export function laterPart(org: JsonObject): JsonObject {
  const part: JsonObject = { orgId: org.orgId ?? '' };
  for (const field of LATER_FIELDS) if (org[field] !== undefined) part[field] = org[field] ?? null;
  return part;
}
