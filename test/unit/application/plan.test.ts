import { inlineOrg } from '../../../src/application/import/import-source.js';
import { LATER_FIELDS, laterPassesOf, passKinds, stepsOf } from '../../../src/application/import/plan.js';
import type { SourceOrg } from '../../../src/application/ports.js';
import type { JsonObject } from '../../../src/domain/json.js';
import { RESOURCE_KINDS, type ResourceKind } from '../../../src/domain/resources/kinds.js';

// The placement of a new org's grants and members (plan.ts): its first pass takes them after
// its own kinds in registry order, each deferred only when something it refers to is missing;
// an org that existed before keeps ZITADEL's three passes.

const userGrants: JsonObject[] = [
  { userId: 'u', projectId: 'p0' },
  { userId: 'u', projectId: 'p1' },
  { userId: 'u', projectId: 'p2' },
];
const org: JsonObject = {
  orgId: 'o',
  humanUsers: [{ userId: 'u' }],
  projectGrants: [{ grantId: 'g0' }, { grantId: 'g1' }],
  userGrants,
  orgMembers: [{ userId: 'u' }],
};

test.each([
  ['a new org: every kind, in registry order, the grants and members deferrable', true, RESOURCE_KINDS.map((k) => k.type)],
  ['an org that existed before: its first-pass kinds only', false, RESOURCE_KINDS.filter((k) => k.pass === 1).map((k) => k.type)],
])('passKinds(1) of %s', async (_what, fresh, types) => {
  const kinds = passKinds(1, fresh);
  expect(kinds.map((s) => s.kind.type)).toEqual(types);
  for (const s of kinds) expect(s.deferUnresolved).toBe(s.kind.pass > 1);
  const grants = kinds.find((s) => s.kind.type === 'user_grant');
  expect(grants ? await itemsOf(inlineOrg(org), grants.kind) : []).toHaveLength(fresh ? 3 : 0);
});

test('later passes run their own kinds, never deferring', () => {
  for (const pass of [2, 3] as const) {
    expect(passKinds(pass, true).map((s) => s.kind.type)).toEqual(RESOURCE_KINDS.filter((k) => k.pass === pass).map((k) => k.type));
    expect(passKinds(pass, false).every((s) => !s.deferUnresolved)).toBe(true);
  }
});

test.each([
  ['an org that existed before', { fresh: false, deferred: {} }, [2, 3]],
  ['a new org with nothing deferred', { fresh: true, deferred: {} }, []],
  ['a new org with an empty list', { fresh: true, deferred: { userGrants: [] } }, []],
  ['a new org with a deferred user grant', { fresh: true, deferred: { userGrants: [1] } }, [2]],
  ['a new org with a deferred member', { fresh: true, deferred: { projectMembers: [0] } }, [3]],
  ['a new org with both', { fresh: true, deferred: { triggerActions: [0], orgMembers: [0] } }, [2, 3]],
])('laterPassesOf %s', (_what, first, passes) => {
  expect(laterPassesOf(first)).toEqual(passes);
});

test('a later pass reads what it asks for: the ordinals of a new org, all of an old one; the org keeps only its later lists', async () => {
  const kept = inlineOrg(org).only(LATER_FIELDS);
  const kind = (field: string) => RESOURCE_KINDS.find((k) => k.field === field) as (typeof RESOURCE_KINDS)[number];
  expect(await itemsOf(kept, kind('userGrants'), [0, 2])).toEqual([userGrants[0], userGrants[2]]);
  expect(await itemsOf(kept, kind('projectGrants'), [1])).toEqual([{ grantId: 'g1' }]);
  expect(await itemsOf(kept, kind('orgMembers'), [])).toEqual([]);
  expect(await itemsOf(kept, kind('userGrants'))).toEqual(userGrants);
  expect(await itemsOf(kept, kind('humanUsers'))).toEqual([]);
});

/** Every item of `kind` the steps give, in order; `ordinals` as stepsOf takes them. */
async function itemsOf(source: SourceOrg, kind: ResourceKind, ordinals?: readonly number[]): Promise<JsonObject[]> {
  const out: JsonObject[] = [];
  for await (const step of stepsOf(source, kind, ordinals)) out.push(...step.items);
  return out;
}
