import {
  ImportRefs,
  KnownRefs,
  type PassRefs,
  passRefsFromJson,
  passRefsToJson,
  referenceProblems,
  refKey,
} from '../../../src/application/import/references.js';
import type { ResourceWriter } from '../../../src/application/ports.js';
import type { JsonObject } from '../../../src/domain/json.js';
import { KIND_BY_TYPE, type Ref, type RefKind, type ResourceKind } from '../../../src/domain/resources/kinds.js';

// The import's known references (references.ts): present resources by kind, id and owner org,
// failures with their reason, org-local kinds forgotten with their org, and the database asked
// for the rest, with the same messages the import has always given.

const kindOf = (type: string) => KIND_BY_TYPE.get(type as never) as ResourceKind;

/** One pass of `orgId` that made these present (why undefined) or failed them. */
function pass(orgId: string, rows: [RefKind, string, string | undefined][]): PassRefs {
  return passRefsFromJson(
    orgId,
    rows.map(([k, id, why]) => [k, id, why ?? null]),
  );
}

/** A writer whose database holds `rows` ([kind, id, owner org]); counts its round trips. */
function database(rows: [RefKind, string, string][]) {
  const asked: Ref[][] = [];
  const writer = {
    async existingRefs(refs: readonly Ref[]) {
      asked.push([...refs]);
      const found = new Set<string>();
      for (const r of refs)
        for (const [kind, id, org] of rows)
          if (kind === r.kind && id === r.id) found.add(refKey({ kind, id })).add(refKey({ kind, id, org }));
      return found;
    },
  } as Partial<ResourceWriter> as ResourceWriter;
  return { writer, asked };
}

describe('ImportRefs', () => {
  test('a present resource is found under any org and under its owner only', () => {
    const refs = new ImportRefs();
    refs.merge(pass('A', [['user', 'u1', undefined]]));
    expect(refs.lookup({ kind: 'user', id: 'u1' })).toEqual({ found: true });
    expect(refs.lookup({ kind: 'user', id: 'u1', org: 'A' })).toEqual({ found: true });
    expect(refs.lookup({ kind: 'user', id: 'u1', org: 'B' })).toEqual({ found: false });
    expect(refs.lookup({ kind: 'user', id: 'u2' })).toEqual({ found: false });
  });

  test('a failure is known with its reason; a later failure does not hide a presence, a later presence wins', () => {
    const refs = new ImportRefs();
    refs.merge(pass('A', [['user', 'u1', 'human_user u1 was not imported']]));
    expect(refs.lookup({ kind: 'user', id: 'u1', org: 'A' })).toEqual({ found: true, why: 'human_user u1 was not imported' });
    refs.merge(pass('A', [['user', 'u1', undefined]]));
    expect(refs.lookup({ kind: 'user', id: 'u1', org: 'A' })).toEqual({ found: true });
    refs.merge(pass('A', [['user', 'u1', 'again']]));
    expect(refs.lookup({ kind: 'user', id: 'u1' })).toEqual({ found: true });
    // Another org failing the same id: its org-bound key fails, the any-org key stays present.
    refs.merge(pass('B', [['user', 'u1', 'human_user u1 was not imported']]));
    expect(refs.lookup({ kind: 'user', id: 'u1', org: 'B' })).toEqual({ found: true, why: 'human_user u1 was not imported' });
    expect(refs.lookup({ kind: 'user', id: 'u1' })).toEqual({ found: true });
  });

  test('the first failure of a key is kept', () => {
    const refs = new ImportRefs();
    refs.merge(pass('A', [['project', 'p', 'first']]));
    refs.merge(pass('A', [['project', 'p', 'second']]));
    expect(refs.lookup({ kind: 'project', id: 'p', org: 'A' })).toEqual({ found: true, why: 'first' });
  });

  test('an id present in two orgs is present under both', () => {
    const refs = new ImportRefs();
    refs.merge(pass('A', [['project_role', 'p_r', undefined]]));
    refs.merge(pass('B', [['project_role', 'p_r', undefined]]));
    expect(refs.lookup({ kind: 'project_role', id: 'p_r', org: 'A' }).found).toBe(true);
    expect(refs.lookup({ kind: 'project_role', id: 'p_r', org: 'B' }).found).toBe(true);
    expect(refs.lookup({ kind: 'project_role', id: 'p_r', org: 'C' }).found).toBe(false);
  });

  test('org-local kinds are forgotten with their org, their failures are not', () => {
    const refs = new ImportRefs();
    refs.merge(
      pass('A', [
        ['app', 'a1', undefined],
        ['app', 'a2', 'api_app a2 was not imported'],
        ['user', 'u', undefined],
      ]),
    );
    expect(refs.lookup({ kind: 'app', id: 'a1', org: 'A' })).toEqual({ found: true });
    expect(refs.lookup({ kind: 'app', id: 'a1' })).toEqual({ found: true });
    refs.forgetOrgLocal('A');
    expect(refs.lookup({ kind: 'app', id: 'a1', org: 'A' })).toEqual({ found: false });
    expect(refs.lookup({ kind: 'app', id: 'a2', org: 'A' })).toEqual({ found: true, why: 'api_app a2 was not imported' });
    expect(refs.lookup({ kind: 'user', id: 'u', org: 'A' })).toEqual({ found: true });
  });
});

describe('KnownRefs', () => {
  test("the pass's own word on its org's resources comes first, other orgs' keys come from the import", () => {
    const outer = new ImportRefs();
    outer.merge(pass('A', [['user', 'u1', undefined]]));
    const known = new KnownRefs(outer, 'B');
    known.provide(kindOf('human_user'), { userId: 'u1' }, 'B', 'human_user u1 was not imported');
    expect(known.lookup({ kind: 'user', id: 'u1' })).toEqual({ found: true, why: 'human_user u1 was not imported' });
    expect(known.lookup({ kind: 'user', id: 'u1', org: 'B' })).toEqual({ found: true, why: 'human_user u1 was not imported' });
    expect(known.lookup({ kind: 'user', id: 'u1', org: 'A' })).toEqual({ found: true });
    // The last word within a pass wins.
    known.provide(kindOf('human_user'), { userId: 'u1' }, 'B', undefined);
    expect(known.lookup({ kind: 'user', id: 'u1', org: 'B' })).toEqual({ found: true, why: undefined });
  });

  test('a checkpoint holds a pass as rows and gives it back', () => {
    const known = new KnownRefs(new ImportRefs(), 'A');
    known.provide(kindOf('project_role'), { projectId: 'p', roleKey: 'r' }, 'A', undefined);
    known.provide(kindOf('human_user'), { userId: 'u' }, 'A', 'no');
    const rows = passRefsToJson(known.provided);
    expect(rows).toEqual([
      ['project_role', 'p_r', null],
      ['user', 'u', 'no'],
    ]);
    expect(passRefsFromJson('A', rows)).toEqual(known.provided);
  });
});

describe('referenceProblems', () => {
  const memberOf = (userId: string): JsonObject => ({ userId, roles: ['ORG_OWNER'] });
  const keyOf = (keyId: string, userId: string): JsonObject => ({ keyId, userId });

  test('known present needs no database; unknown refs go to it in one round trip; the messages are as before', async () => {
    const outer = new ImportRefs();
    outer.merge(
      pass('O', [
        ['org', 'O', undefined],
        ['user', 'here', undefined],
        ['user', 'broken', 'human_user broken was not imported'],
      ]),
    );
    outer.merge(pass('P', [['user', 'elsewhere', undefined]]));
    const { writer, asked } = database([
      ['user', 'stored', 'O'],
      ['user', 'stored-p', 'P'],
    ]);
    const known = new KnownRefs(outer, 'O');

    const members = ['here', 'broken', 'stored', 'missing', 'elsewhere'].map(memberOf);
    const problems = await referenceProblems(kindOf('org_member'), members, 'O', known, writer);
    expect(asked).toEqual([
      [
        { kind: 'user', id: 'stored' },
        { kind: 'user', id: 'missing' },
      ],
    ]);
    expect([...problems]).toEqual([
      [1, { outcome: 'skipped', message: 'depends on user broken: human_user broken was not imported' }],
      [3, { outcome: 'failed', message: 'refers to user missing, which does not exist (IMPORT-reference)' }],
    ]);

    const keys = [keyOf('k1', 'here'), keyOf('k2', 'elsewhere'), keyOf('k3', 'stored-p'), keyOf('k4', 'stored'), keyOf('k5', 'nobody')];
    const keyProblems = await referenceProblems(kindOf('machine_user_key'), keys, 'O', known, writer);
    expect([...keyProblems]).toEqual([
      [1, { outcome: 'failed', message: 'refers to user elsewhere of another organisation (IMPORT-other-org)' }],
      [2, { outcome: 'failed', message: 'refers to user stored-p of another organisation (IMPORT-other-org)' }],
      [4, { outcome: 'failed', message: 'refers to user nobody, which does not exist (IMPORT-reference)' }],
    ]);
  });

  test('an org-local kind forgotten with its org is answered by the database', async () => {
    const outer = new ImportRefs();
    outer.merge(pass('O', [['app', 'app1', undefined]]));
    outer.forgetOrgLocal('O');
    const { writer, asked } = database([['app', 'app1', 'O']]);
    const problems = await referenceProblems(kindOf('app_key'), [{ id: 'k', appId: 'app1' }], 'O', new KnownRefs(outer, 'O'), writer);
    expect(problems.size).toBe(0);
    expect(asked).toEqual([[{ kind: 'app', id: 'app1', org: 'O' }]]);
  });
});
