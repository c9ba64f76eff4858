import type { ResourceTransactions, StoredResource } from '../../src/application/ports.js';
import type { JsonObject } from '../../src/domain/json.js';
import { type Database, openDatabase } from '../../src/persistence/orm.js';
import { createResourceTransactions } from '../../src/persistence/resources/resource-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testSecretsAtRest } from '../support/secrets.js';

// The persistence contract for import and export (STYLE.md habit 14), run on the embedded
// PGlite always and on PostgreSQL too when DATABASE_URL is set, in the same run.
const backends: [string, () => Promise<TestDatabase>][] = [
  ['PGlite', async () => ({ config: { kind: 'pglite', dataDir: 'memory://' }, drop: async () => {} })],
];
if (process.env.DATABASE_URL) backends.push(['PostgreSQL', () => createTestDatabase()]);

const signal = () => AbortSignal.timeout(60_000);
const org = (name: string): StoredResource => ({ item: { org: { name } } });
const human = (userId: string, userName: string, extra: JsonObject = {}): StoredResource => ({
  item: { userId, user: { userName, profile: { lastName: 'L', firstName: 'F' }, email: { email: `${userName}@x.example` } }, ...extra },
  secrets: { passwordHash: `$2a$04$${userId.padEnd(53, 'x')}`, otpSecret: null },
});

describe.each(backends)('resource store on %s', (_name, create) => {
  let testDb: TestDatabase;
  let db: Database;
  let tx: ResourceTransactions;

  beforeAll(async () => {
    testDb = await create();
    db = await openDatabase(testDb.config);
    tx = createResourceTransactions(db, testSecretsAtRest());
    await tx.write(signal(), { rollback: false }, async (w) => {
      for (const [id, name] of [
        ['o1', 'One'],
        ['o2', 'Two'],
      ] as const)
        await w.insert('org', id, [org(name)]);
    });
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  const readAll = (kind: string, orgId: string, secrets = { passwords: true, otp: true }) =>
    tx.read(signal(), async (r) => {
      const rows = [];
      for await (const batch of r.read(kind, orgId, secrets)) rows.push(...batch);
      return rows;
    });

  test('items come back as the JSON text that was stored, key order included', async () => {
    const item = { projectId: 'p1', project: { name: 'Zeta', projectRoleAssertion: true, hasProjectCheck: true } };
    await tx.write(signal(), { rollback: false }, (w) => w.insert('project', 'o1', [{ item }]));
    expect((await readAll('project', 'o1')).map((r) => r.json)).toEqual([JSON.stringify(item)]);
  });

  test('a taken unique name is reported as a conflict, not thrown, and the rest is written', async () => {
    const { conflicts } = await tx.write(signal(), { rollback: false }, (w) =>
      w.insert('human_user', 'o1', [human('u1', 'alice'), human('u2', 'ALICE'), human('u3', 'bob')]),
    );
    expect(conflicts).toEqual([1]); // user names are unique case-insensitively in the instance
    expect((await readAll('human_user', 'o1')).map((r) => JSON.parse(r.json).userId)).toEqual(['u1', 'u3']);
  });

  test('user names are scoped to the org when its domain policy says userLoginMustBeDomain', async () => {
    const result = await tx.write(signal(), { rollback: false }, async (w) => {
      await w.insert('domain_policy', 'o2', [{ item: { userLoginMustBeDomain: true } }]);
      expect(await w.userNameScope('o2')).toBe('o2');
      return w.insert('human_user', 'o2', [human('u4', 'alice')]);
    });
    expect(result.conflicts).toEqual([]);
  });

  test('secrets are only read when asked for', async () => {
    const [withSecrets] = await readAll('human_user', 'o1');
    expect(withSecrets?.secrets?.passwordHash).toMatch(/^\$2a\$04\$u1/);
    const [without] = await readAll('human_user', 'o1', { passwords: false, otp: false });
    expect(without?.secrets).toBeUndefined();
  });

  test('references resolve by composite id', async () => {
    await tx.write(signal(), { rollback: false }, async (w) => {
      await w.insert('project_role', 'o1', [{ item: { projectId: 'p1', roleKey: 'admin' } }]);
      const found = await w.existingRefs([
        { kind: 'project_role', id: 'p1_admin' },
        { kind: 'project_role', id: 'p1_nope' },
        { kind: 'user', id: 'u1' },
        { kind: 'org', id: 'o9' },
      ]);
      // Changed by issue 8: each found reference also comes with the org that holds it.
      expect([...found].sort()).toEqual(['project_role:p1_admin', 'project_role:p1_admin@o1', 'user:u1', 'user:u1@o1']);
    });
  });

  test('replace updates in place: what hangs off the resource stays', async () => {
    await tx.write(signal(), { rollback: false }, async (w) => {
      await w.insert('user_metadata', 'o1', [{ item: { id: 'u3', key: 'k', value: 'dg==' } }]);
      await w.replace('human_user', 'o1', human('u3', 'bob', { state: 'USER_STATE_INACTIVE' }));
    });
    expect(JSON.parse((await readAll('human_user', 'o1'))[1]?.json ?? '{}').state).toBe('USER_STATE_INACTIVE');
    expect(await readAll('user_metadata', 'o1')).toHaveLength(1);
  });

  test('a failed savepoint rolls back only its own writes', async () => {
    await tx.write(signal(), { rollback: false }, async (w) => {
      await w.insert('action', 'o1', [{ item: { actionId: 'a1', action: { name: 'kept' } } }]);
      await expect(
        w.savepoint(async (s) => {
          await s.insert('action', 'o1', [{ item: { actionId: 'a2', action: { name: 'dropped' } } }]);
          // A metadata row of a user that does not exist breaks its foreign key.
          await s.insert('user_metadata', 'o1', [{ item: { id: 'nobody', key: 'k' } }]);
        }),
      ).rejects.toMatchObject({ name: 'DomainError' });
    });
    expect((await readAll('action', 'o1')).map((r) => JSON.parse(r.json).actionId)).toEqual(['a1']);
  });

  test('a rolled-back (dry-run) write leaves nothing', async () => {
    await tx.write(signal(), { rollback: true }, (w) => w.insert('action', 'o1', [{ item: { actionId: 'a3', action: { name: 'x' } } }]));
    expect((await readAll('action', 'o1')).map((r) => JSON.parse(r.json).actionId)).toEqual(['a1']);
  });

  test('reads page through more rows than one page, in key order', async () => {
    const ids = Array.from({ length: 2600 }, (_v, i) => `g${String(i).padStart(5, '0')}`);
    await tx.write(signal(), { rollback: false }, (w) =>
      w.insert(
        'user_grant',
        'o2',
        ids.map((id) => ({ item: { userId: 'u4', projectId: id } })),
      ),
    );
    const read = (await readAll('user_grant', 'o2')).map((r) => JSON.parse(r.json).projectId);
    expect(read).toEqual(ids);
  });
});
