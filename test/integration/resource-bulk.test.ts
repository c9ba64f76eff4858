import type { ResourceTransactions, StoredResource } from '../../src/application/ports.js';
import type { JsonObject } from '../../src/domain/json.js';
import { type Database, openDatabase } from '../../src/persistence/orm.js';
import { createResourceTransactions, transactionOf } from '../../src/persistence/resources/resource-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testSecretsAtRest } from '../support/secrets.js';

// The bulk write of a fresh org's rows (ResourceWriter.openBulk): COPY on PostgreSQL,
// multi-row INSERTs on PGlite. Whatever the path, what is stored must be exactly what the
// row-by-row insert stores (payload text, columns, sealed secrets), and a clash must throw
// with nothing of it kept (its own savepoint), so the importer falls back to batches that name
// the culprit.
const backends: [string, () => Promise<TestDatabase>][] = [
  ['PGlite', async () => ({ config: { kind: 'pglite', dataDir: 'memory://' }, drop: async () => {} })],
];
if (process.env.DATABASE_URL) backends.push(['PostgreSQL', () => createTestDatabase()]);

const signal = () => AbortSignal.timeout(60_000);
/** Text COPY must escape (tab, newline, CR, backslash, `\N`) and some that it must not touch. */
const AWKWARD = 'tab\there\nnew line\r\\ back \\N null-like "quoted" ünï 🦄';
const human = (userId: string, userName: string, otp: string | null): StoredResource => ({
  item: { userId, user: { userName, profile: { lastName: AWKWARD, firstName: 'F' }, email: { email: `${userName}@x.example` } } },
  secrets: { passwordHash: `$2a$04$${userId.padEnd(53, 'x')}`, otpSecret: otp },
});

describe.each(backends)('bulk insert on %s', (_name, create) => {
  let testDb: TestDatabase;
  let db: Database;
  let tx: ResourceTransactions;

  beforeAll(async () => {
    testDb = await create();
    db = await openDatabase(testDb.config);
    tx = createResourceTransactions(db, testSecretsAtRest());
    await tx.write(signal(), { rollback: false }, async (w) => {
      await w.insert('org', 'plain', [{ item: { org: { name: 'Plain' } } }]);
      await w.insert('org', 'bulk', [{ item: { org: { name: 'Bulk' } } }]);
    });
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  /** Every stored column of the org's users and their secret rows, as PostgreSQL has them. */
  const storedRows = (orgId: string) =>
    tx.write(signal(), { rollback: true }, async (w) => {
      const em = transactionOf(w);
      // In the writer's transaction (PGlite has one session: a second would wait for it forever).
      const run = (sql: string, params: unknown[]) => em.getConnection().execute(sql, params, 'all', em.getTransactionContext());
      const users = await run(
        `select u.id, u.type, u.user_name, u.user_name_scope, u.state, u.payload::text as payload,
                s.password_hash, s.otp_secret is not null as has_otp, s.otp_secret like 'enc:%' as otp_sealed
         from users u left join user_secret s on s.user_id = u.id where u.org_id = ? order by u.id`,
        [orgId],
      );
      const idps = await run('select id, type, payload::text as payload from idp where org_id = ? order by id', [orgId]);
      return { users, idps };
    });

  const readBack = (kind: string, orgId: string) =>
    tx.read(signal(), async (r) => {
      const rows: { json: JsonObject; secrets: unknown }[] = [];
      for await (const batch of r.read(kind, orgId, { passwords: true, otp: true }))
        for (const row of batch) rows.push({ json: JSON.parse(row.json), secrets: row.secrets });
      return rows;
    });

  test('stores what the row-naming insert stores: columns, payload text and sealed secrets', async () => {
    const users = (prefix: string) => [
      human(`${prefix}1`, `${prefix}-alice`, 'JBSWY3DPEHPK3PXP'),
      human(`${prefix}2`, `${prefix}-bob`, null),
    ];
    const idp = (id: string): StoredResource => ({
      item: { idpId: id, idp: { name: AWKWARD, clientId: 'c', clientSecret: 'very secret' } },
    });
    await tx.write(signal(), { rollback: false }, async (w) => {
      await w.insert('human_user', 'plain', users('p'), { detectConflicts: false });
      await w.insert('oidc_idp', 'plain', [idp('p-idp'), idp('p-idp2')], { detectConflicts: false });
    });
    await tx.write(signal(), { rollback: false }, async (w) => {
      const idps = await w.openBulk('oidc_idp', 'bulk');
      idps.add([idp('b-idp'), idp('b-idp2')]);
      await idps.close();
      // Rows added in several batches go into one write.
      const bulk = await w.openBulk('human_user', 'bulk');
      const [first, second] = users('b');
      bulk.add([first as StoredResource]);
      bulk.add([second as StoredResource]);
      await bulk.close();
    });

    const plain = await storedRows('plain');
    const bulk = await storedRows('bulk');
    const rename = (rows: Record<string, unknown>[], from: string, to: string) =>
      rows.map((r) => JSON.parse(JSON.stringify(r).replaceAll(from, to)));
    expect(bulk.users).toHaveLength(2);
    expect(rename(bulk.users, 'b', 'p')).toEqual(rename(plain.users, 'b', 'p'));
    expect(bulk.users[0]).toMatchObject({ has_otp: true, otp_sealed: true });
    // The payload's secret field is sealed on both paths (each seal has its own IV, so compare the shape).
    for (const row of bulk.idps) expect(JSON.parse(String(row.payload)).idp.clientSecret).toMatch(/^enc:/);
    expect(bulk.idps.map((r: Record<string, unknown>) => r.type)).toEqual(['oidc', 'oidc']);

    const [plainRead, bulkRead] = [await readBack('human_user', 'plain'), await readBack('human_user', 'bulk')];
    expect(rename(bulkRead, 'b', 'p')).toEqual(rename(plainRead, 'b', 'p'));
    expect(bulkRead[0]?.json).toMatchObject({ user: { profile: { lastName: AWKWARD } } });
    expect((await readBack('oidc_idp', 'bulk'))[0]?.json).toMatchObject({ idp: { name: AWKWARD, clientSecret: 'very secret' } });
  });

  test('a clash throws, and the transaction stays usable with nothing of the bulk write kept', async () => {
    await tx.write(signal(), { rollback: false }, async (w) => {
      const bulk = await w.openBulk('human_user', 'bulk');
      // b-alice is taken (previous test); c1 alone would go in, and rows added after the clash too.
      bulk.add([human('c1', 'c-carol', null), human('c2', 'b-alice', null)]);
      bulk.add([human('c4', 'c-erin', 'JBSWY3DPEHPK3PXP')]);
      await expect(bulk.close()).rejects.toThrow();
      await w.insert('human_user', 'bulk', [human('c3', 'c-dave', null)]);
    });
    expect((await readBack('human_user', 'bulk')).map((r) => r.json.userId)).toEqual(['b1', 'b2', 'c3']);
  });

  test('an abandoned bulk write keeps nothing and leaves the transaction usable', async () => {
    await tx.write(signal(), { rollback: false }, async (w) => {
      const bulk = await w.openBulk('human_user', 'bulk');
      bulk.add([human('d1', 'd-frank', null)]);
      await bulk.abort();
      await w.insert('human_user', 'bulk', [human('d2', 'd-grace', null)]);
    });
    expect((await readBack('human_user', 'bulk')).map((r) => r.json.userId)).toEqual(['b1', 'b2', 'c3', 'd2']);
  });
});
