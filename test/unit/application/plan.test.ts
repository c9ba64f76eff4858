import { firstPassSteps, HeldLaterItems, type LaterOrg, laterPassesOf, laterSteps } from '../../../src/application/import/plan.js';
import type { JsonObject } from '../../../src/domain/json.js';
import { RESOURCE_KINDS } from '../../../src/domain/resources/kinds.js';

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
])('firstPassSteps of %s', (_what, fresh, types) => {
  const steps = firstPassSteps(org, fresh);
  expect(steps.map((s) => s.kind.type)).toEqual(types);
  for (const s of steps) expect(s.deferUnresolved).toBe(s.kind.pass > 1);
  expect(steps.find((s) => s.kind.type === 'user_grant')?.items ?? []).toHaveLength(fresh ? 3 : 0);
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

test('the held items are what the later passes ask for: the ordinals of a new org, all of an old one', async () => {
  const held = new HeldLaterItems();
  held.hold(0, org, { userGrants: [0, 2], projectGrants: [1] });
  held.hold(1, { ...org, orgId: 'old' }, undefined);
  const fresh: LaterOrg = { position: 0, orgId: 'o', passes: [2], deferred: { userGrants: [0, 2], projectGrants: [1] } };
  const old: LaterOrg = { position: 1, orgId: 'old', passes: [2, 3], deferred: undefined };

  const ofPass = async (o: LaterOrg, pass: 2 | 3) =>
    Object.fromEntries((await laterSteps(held, o, pass)).filter((s) => s.items.length).map((s) => [s.kind.field, s.items]));
  expect(await ofPass(fresh, 2)).toEqual({ projectGrants: [{ grantId: 'g1' }], userGrants: [userGrants[0], userGrants[2]] });
  expect(await ofPass(fresh, 3)).toEqual({});
  expect(await ofPass(old, 2)).toEqual({ projectGrants: org.projectGrants, userGrants: org.userGrants });
  expect(await ofPass(old, 3)).toEqual({ orgMembers: org.orgMembers });
  // Nothing but the deferred items is held for a new org.
  expect(await held.itemsAt(0, 'orgMembers', undefined)).toEqual([]);
  held.release(1);
  expect(await held.itemsAt(1, 'userGrants', undefined)).toEqual([]);
});
