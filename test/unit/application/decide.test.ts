import { type ConflictPolicy, type Decision, decide, type StoredState } from '../../../src/application/import/decide.js';

const candidate = { type: 'project', id: 'p1', orgId: 'o1' } as const;
const OTHER_ORG = 'project p1 already exists in another organisation (IMPORT-other-org)';
const CONFLICT = 'project p1 already exists with different content (IMPORT-conflict)';
const KEPT = 'exists with different content; kept as it is (conflict policy skip)';

const unchanged: Decision = { action: 'report', outcome: 'unchanged', present: true, shows: 'prepared' };
const otherOrg: Decision = { action: 'report', outcome: 'failed', message: OTHER_ORG, present: false, shows: 'given' };

/** [what is stored, policy, decision]: every policy against every stored state. */
const table: [string, StoredState | undefined, ConflictPolicy, Decision][] = [
  ['nothing stored', undefined, 'fail', { action: 'insert' }],
  ['nothing stored', undefined, 'skip', { action: 'insert' }],
  ['nothing stored', undefined, 'overwrite', { action: 'insert' }],
  ['the same, in this org', { orgId: 'o1', same: true }, 'fail', unchanged],
  ['the same, in this org', { orgId: 'o1', same: true }, 'skip', unchanged],
  ['the same, in this org', { orgId: 'o1', same: true }, 'overwrite', unchanged],
  ['the same, org not known', { orgId: undefined, same: true }, 'fail', unchanged],
  [
    'different, in this org',
    { orgId: 'o1', same: false },
    'fail',
    { action: 'report', outcome: 'failed', message: CONFLICT, present: true, shows: 'given' },
  ],
  [
    'different, in this org',
    { orgId: 'o1', same: false },
    'skip',
    { action: 'report', outcome: 'skipped', message: KEPT, present: true, shows: 'stored' },
  ],
  ['different, in this org', { orgId: 'o1', same: false }, 'overwrite', { action: 'replace' }],
  ['different, org not known', { orgId: undefined, same: false }, 'overwrite', { action: 'replace' }],
  // Another org's resource is never taken over, whatever the policy: not even by overwrite.
  ['in another org', { orgId: 'o2', same: false }, 'fail', otherOrg],
  ['in another org', { orgId: 'o2', same: false }, 'skip', otherOrg],
  ['in another org', { orgId: 'o2', same: false }, 'overwrite', otherOrg],
  ['in another org, same content', { orgId: 'o2', same: true }, 'overwrite', otherOrg],
];

test.each(table)('%s, policy %s', (_what, stored, policy, expected) => {
  expect(decide(candidate, stored, policy)).toEqual(expected);
});

test('messages name the resource by type and composite id', () => {
  const d = decide({ type: 'project_role', id: 'p1_admin', orgId: 'o1' }, { orgId: 'o1', same: false }, 'fail');
  expect(d).toMatchObject({ message: 'project_role p1_admin already exists with different content (IMPORT-conflict)' });
});
