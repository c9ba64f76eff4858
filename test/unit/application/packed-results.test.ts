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
