import type { ItemResult } from '../../../src/application/import/import-report.js';
import { PackedResults } from '../../../src/application/import/packed-results.js';

const ok = (
  orgId: string,
  type: ItemResult['type'],
  id: string,
  item: ItemResult['item'],
  outcome: ItemResult['outcome'] = 'created',
): ItemResult => ({
  orgId,
  type,
  id,
  outcome,
  item,
});

test('reads back every outcome, in order and equal, successes packed and failures kept whole', () => {
  const results: ItemResult[] = [
    ok('o1', 'org', 'o1', { org: { name: 'Acme' } }),
    ok('o1', 'human_user', 'u1', { userId: 'u1' }),
    ok('o1', 'human_user', 'u2', { userId: 'u2' }),
    {
      orgId: 'o1',
      type: 'human_user',
      id: 'u3',
      outcome: 'failed',
      message: 'human_user: missing user.userName (IMPORT-required)',
      item: { userId: 'u3' },
    },
    ok('o1', 'human_user', 'u4', { userId: 'u4' }, 'unchanged'),
    ok('o1', 'oidc_app', 'a1', { appId: 'a1', app: { projectId: 'p1' } }),
    // A summary field left out of the item stays out.
    ok('o1', 'user_link', 'u1_i1', { userId: 'u1', idpId: 'i1', providedUserId: 'ext' }),
    ok('o1', 'trigger_action', '1_2', { flowType: '1', triggerType: '2', actionIds: ['x', 'y'] }),
    { orgId: 'o2', type: 'org', id: 'o2', outcome: 'skipped', message: 'depends on org o2', item: {} },
    ok('o2', 'human_user', 'u9', { userId: 'u9' }),
  ];
  const packed = new PackedResults();
  for (const r of results) packed.add(r);
  expect([...packed]).toEqual(results);
  expect(packed.counts).toEqual({ created: 7, unchanged: 1, updated: 0, skipped: 1, failed: 1 });
});

test('a run of one org and kind holds ids, not objects', () => {
  const packed = new PackedResults();
  for (let i = 0; i < 1000; i++) packed.add(ok('o1', 'human_user', `u${i}`, { userId: `u${i}` }));
  // One run: the entries list stays one long however many users the org has.
  expect((packed as unknown as { entries: unknown[] }).entries).toHaveLength(1);
  expect([...packed].map((r) => r.id)).toEqual(Array.from({ length: 1000 }, (_, i) => `u${i}`));
});

test('every kind comes back identical: unicode, empty and absent fields, ids of every shape, orgs interleaved', () => {
  const results: ItemResult[] = [
    ok('o1', 'org', 'o1', { org: { name: 'Ærø “Ltd” 株式会社 🚀' } }),
    // An id the kind's rule does not give back (kept as written), and one it does.
    ok('o1', 'human_user', 'not-the-user-id', { userId: 'u1' }),
    ok('o1', 'human_user', 'u2', { userId: 'u2' }),
    ok('o1', 'human_user', '', {}),
    ok('o1', 'human_user', 'u3', { userId: '' }),
    ok('o2', 'human_user', 'ü4', { userId: 'ü4' }),
    ok('o1', 'human_user', 'u5', { userId: 'u5' }),
    ok('o1', 'user_metadata', 'u1_ключ', { id: 'u1', key: 'ключ' }),
    ok('o1', 'user_metadata', 'u1_b', { id: 'u1', key: 'b' }),
    ok('o1', 'user_metadata', 'u1_', { id: 'u1', key: '' }),
    ok('o1', 'user_metadata', 'u1_c', { id: 'u1' }),
    ok('o1', 'user_grant', 'o1_p1_u1', { userId: 'u1', projectId: 'p1' }),
    ok('o1', 'user_grant', 'o1_p1_u2', { userId: 'u2', projectId: 'p1', projectGrantId: 'g1' }),
    ok('o1', 'user_grant', 'o1_p1_u2', { userId: 'u2', projectId: 'p1', projectGrantId: 'g1' }, 'unchanged'),
    ok('o1', 'user_grant', 'o1_p1_u2', { userId: 'u2', projectId: 'p1', projectGrantId: 'g1' }, 'updated'),
    ok('o1', 'project_grant', 'g1', { grantId: 'g1', projectGrant: { projectId: 'p1', grantedOrgId: 'o2' } }),
    ok('o1', 'project_grant', 'g2', { grantId: 'g2', projectGrant: { grantedOrgId: 'o2' } }),
    ok('o1', 'trigger_action', '1_2', { flowType: '1', triggerType: '2', actionIds: ['x', 'ÿ'] }),
    ok('o1', 'trigger_action', '1_3', { flowType: '1', triggerType: '3', actionIds: [] }),
    // A value that is not a string, where a string is expected, stays what it was.
    ok('o1', 'domain', 'o1_d', { domainName: 42 as unknown as string }),
    ok('o1', 'user_link', 'l1', { userId: 'u1', idpId: 'i1', providedUserId: 'ext', providedUserName: '名前' }),
    { orgId: 'o1', type: 'user_grant', id: 'o1_p1_u9', outcome: 'failed', message: 'user u9 «ü» was not imported', item: { userId: 'u9' } },
    ok('o1', 'user_grant', 'o1_p1_u3', { userId: 'u3', projectId: 'p1' }),
    // A success with a message is kept whole.
    { orgId: 'o2', type: 'project', id: 'p2', outcome: 'unchanged', message: 'kept the stored one', item: { projectId: 'p2' } },
    { orgId: 'o2', type: 'project', id: 'p3', outcome: 'skipped', message: '', item: {} },
    ok('o2', 'project_role', 'p2_admin', { projectId: 'p2', roleKey: 'admin' }),
  ];
  const packed = new PackedResults();
  for (const r of results) packed.add(r);
  expect([...packed]).toEqual(results);
  // Iterating twice reads the same.
  expect([...packed]).toEqual(results);
});

test('strings UTF-8 cannot hold (a lone surrogate) keep their result whole, and come back as they were', () => {
  const results = [
    ok('o1', 'human_user', 'u1', { userId: 'u1' }),
    ok('o1', 'human_user', 'u\uD800', { userId: 'u\uD800' }),
    ok('o1', 'user_metadata', 'u1_k', { id: 'u1', key: '\uDC00k' }),
    ok('o\uDBFF', 'human_user', 'u2', { userId: 'u2' }),
    ok('o1', 'human_user', 'u😀', { userId: 'u😀' }),
  ];
  const packed = new PackedResults();
  for (const r of results) packed.add(r);
  expect([...packed]).toEqual(results);
});

test('long values that cross the log chunks come back whole', () => {
  const results = Array.from({ length: 300 }, (_, i) => {
    const id = `${'é'.repeat(i * 37)}${i}`;
    return ok('o1', 'human_user', id, { userId: id });
  });
  const packed = new PackedResults();
  for (const r of results) packed.add(r);
  expect([...packed]).toEqual(results);
});

test('parts read the same outcomes as the iterator, each run as often as asked, without an ItemResult per success', () => {
  const packed = new PackedResults();
  const results = [
    ok('o1', 'human_user', 'u1', { userId: 'u1' }),
    ok('o1', 'human_user', 'u2', { userId: 'u2' }),
    ok('o1', 'user_grant', 'o1_p1_u1', { userId: 'u1', projectId: 'p1' }),
    { orgId: 'o1', type: 'user_grant', id: 'x', outcome: 'failed', message: 'no', item: {} } as ItemResult,
    ok('o2', 'project_grant', 'g1', { grantId: 'g1', projectGrant: { projectId: 'p1', grantedOrgId: 'o2' } }),
  ];
  for (const r of results) packed.add(r);
  const read = () => {
    const seen: unknown[] = [];
    for (const part of packed.parts()) {
      if ('whole' in part) seen.push(part.whole);
      else
        for (const row of part.run.rows()) {
          const { orgId, type, outcome } = part.run;
          seen.push({ orgId, type, id: row.id(), outcome, item: row.item(), pid: row.value('projectGrant.projectId') });
        }
    }
    return seen;
  };
  const expected = [
    { ...results[0], pid: undefined },
    { ...results[1], pid: undefined },
    { ...results[2], pid: undefined },
    results[3],
    { ...results[4], pid: 'p1' },
  ];
  expect(read()).toEqual(expected);
  expect(read()).toEqual(expected);
  expect([...packed.parts()].map((p) => ('run' in p ? p.run.count : 'whole'))).toEqual([2, 1, 'whole', 1]);
});

test('stored parts, read back with addStored after other outcomes, give the same outcomes and counts', () => {
  // Enough users that the runs span several of the log's chunks (4 KiB doubling to 1 MiB).
  const results: ItemResult[] = [ok('o1', 'org', 'o1', { org: { name: 'Acme' } })];
  for (let i = 0; i < 30_000; i++) {
    results.push(ok('o1', 'human_user', `u${i}`, { userId: `u${i}` }));
    if (i === 12_000) results.push({ orgId: 'o1', type: 'human_user', id: 'bad', outcome: 'failed', message: 'no', item: {} });
  }
  results.push(ok('o1', 'user_grant', 'g1', { userId: 'ü1', projectId: 'p1' }, 'unchanged'));
  const packed = new PackedResults();
  for (const r of results) packed.add(r);
  const first: ItemResult = { orgId: 'o0', type: 'org', id: 'o0', outcome: 'failed', message: 'unreadable', item: {} };
  const read = new PackedResults();
  read.add(first);
  for (const part of packed.stored()) read.addStored(structuredClone(part));
  expect([...read]).toEqual([first, ...packed]);
  expect(read.counts).toEqual({ ...packed.counts, failed: packed.counts.failed + 1 });
});

test('addStored refuses a run that is not of successes of a known kind', () => {
  const records = new Uint8Array([0]);
  expect(() =>
    new PackedResults().addStored({ orgId: 'o', type: 'nope' as ItemResult['type'], outcome: 'created', count: 1, records }),
  ).toThrow(/not a run/);
  expect(() => new PackedResults().addStored({ orgId: 'o', type: 'org', outcome: 'failed', count: 1, records })).toThrow(/not a run/);
});
