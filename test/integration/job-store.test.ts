import type { EntityManager } from '@mikro-orm/sql';
import { type AuditStore, CheckpointRefused, type JobStore } from '../../src/application/jobs/job-ports.js';
import { emptyProgress } from '../../src/application/jobs/job-progress.js';
import { createAuditStore } from '../../src/persistence/jobs/audit-store.js';
import { createJobStore } from '../../src/persistence/jobs/job-store.js';
import { type Database, openDatabase } from '../../src/persistence/orm.js';
import { query } from '../../src/persistence/resources/resource-sql.js';
import { createResourceTransactions } from '../../src/persistence/resources/resource-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testSecretsAtRest } from '../support/secrets.js';

// The job queue and the audit trail on both backends (PGlite always, PostgreSQL with
// DATABASE_URL): a job is claimed once, its lease fences checkpoints, and audit_event refuses
// UPDATE, DELETE and TRUNCATE from anyone but the retention prune.
const backends: [string, () => Promise<TestDatabase>][] = [
  ['PGlite', async () => ({ config: { kind: 'pglite', dataDir: 'memory://' }, drop: async () => {} })],
];
if (process.env.DATABASE_URL) backends.push(['PostgreSQL', () => createTestDatabase()]);

describe.each(backends)('jobs and audit on %s', (_name, create) => {
  let testDb: TestDatabase;
  let db: Database;
  let jobs: JobStore;
  let audit: AuditStore;
  const sql = (text: string) => db.em().transactional((em) => query(em as unknown as EntityManager, text, []));

  beforeAll(async () => {
    testDb = await create();
    db = await openDatabase(testDb.config);
    jobs = createJobStore(db, testSecretsAtRest());
    audit = createAuditStore(db);
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  const newJob = (id: string) =>
    jobs.create({ id, kind: 'import', principal: 'p', source: 'inline', target: 'database', request: {}, progress: emptyProgress() });

  test('a queued job is claimed by one replica; an expired lease lets another take it over', async () => {
    await newJob('j-claim');
    const [a, b] = await Promise.all([jobs.claim('a', 60_000, () => null), jobs.claim('b', 60_000, () => null)]);
    expect([a?.id, b?.id].filter(Boolean)).toEqual(['j-claim']);
    const owner = a ? 'a' : 'b';
    const other = owner === 'a' ? 'b' : 'a';
    expect(await jobs.claim(other, 60_000, () => null)).toBeUndefined();
    // The owner's lease lapses (a lease of 1 ms, then time passes): the other takes it over.
    expect((await jobs.renew('j-claim', owner, 1)).held).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    const taken = await jobs.claim(other, 60_000, () => null);
    expect(taken).toMatchObject({ id: 'j-claim', replica: other, takeovers: 1 });
    expect((await jobs.renew('j-claim', owner, 60_000)).held).toBe(false);
    expect(await jobs.finish('j-claim', owner, { state: 'succeeded', error: '', progress: emptyProgress() })).toBe(false);
    expect(await jobs.finish('j-claim', other, { state: 'succeeded', error: '', progress: emptyProgress() })).toBe(true);
  });

  test('the request is stored sealed; a replica with another key cannot claim the job, which stays queued for one that can', async () => {
    await jobs.create({
      id: 'j-sealed',
      kind: 'import',
      principal: 'p',
      source: 'gcs:b/o',
      target: 'database',
      request: { request: { dataOrgsGcs: { bucket: 'b', path: 'o', serviceaccountJson: 'the-account-key' } } },
      progress: emptyProgress(),
    });
    const [stored] = await sql("select request::text as request from job where id = 'j-sealed'");
    expect((stored as { request: string }).request).not.toContain('the-account-key');
    expect(JSON.parse((stored as { request: string }).request)).toEqual({ sealed: expect.stringMatching(/^enc:v1:/) });
    const otherKey = createJobStore(db, testSecretsAtRest(Buffer.alloc(32, 9)));
    await expect(otherKey.claim('x', 60_000, () => null)).rejects.toMatchObject({ id: 'SECRETS-key' });
    expect((await jobs.get('j-sealed'))?.state).toBe('queued');
    const claimed = await jobs.claim('a', 60_000, () => null);
    expect(claimed?.request).toEqual({ request: { dataOrgsGcs: { bucket: 'b', path: 'o', serviceaccountJson: 'the-account-key' } } });
    expect(await jobs.finish('j-sealed', 'a', { state: 'succeeded', error: '', progress: emptyProgress() })).toBe(true);
  });

  test('a checkpoint commits with the data, and refuses (rolling the data back) once the lease is lost or a cancel is asked', async () => {
    await newJob('j-fence');
    await jobs.claim('a', 60_000, () => null);
    const tx = createResourceTransactions(db, testSecretsAtRest());
    const step = (n: number) => ({ step: n, pass: 1, orgId: `o${n}`, results: [], state: {} });
    await tx.write(AbortSignal.timeout(10_000), { rollback: false }, async (w) => {
      await w.insert('org', 'fence-1', [{ item: { org: { name: 'fence 1' } } }]);
      await jobs.checkpoint(w, 'j-fence', 'a', step(0), emptyProgress());
    });
    await jobs.requestCancel('j-fence');
    await expect(
      tx.write(AbortSignal.timeout(10_000), { rollback: false }, async (w) => {
        await w.insert('org', 'fence-2', [{ item: { org: { name: 'fence 2' } } }]);
        await jobs.checkpoint(w, 'j-fence', 'a', step(1), emptyProgress());
      }),
    ).rejects.toEqual(new CheckpointRefused('cancelled'));
    await expect(
      tx.write(AbortSignal.timeout(10_000), { rollback: false }, (w) => jobs.checkpoint(w, 'j-fence', 'b', step(1), emptyProgress())),
    ).rejects.toEqual(new CheckpointRefused('lease-lost'));
    expect((await jobs.get('j-fence'))?.stepsDone).toBe(1);
    expect((await jobs.steps('j-fence', 0, 10)).map((s) => s.orgId)).toEqual(['o0']);
    const orgs = await sql("select id from org where id in ('fence-1', 'fence-2') order by id");
    expect(orgs).toEqual([{ id: 'fence-1' }]);
  });

  test('audit_event is append-only: UPDATE, DELETE and TRUNCATE are refused; the retention prune is not', async () => {
    await audit.append([{ principal: 'p', kind: 'export', outcome: 'done' }]);
    await expect(sql("update audit_event set principal = 'someone else'")).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(sql('delete from audit_event')).rejects.toThrow(/append-only: DELETE refused/);
    await expect(sql('truncate audit_event')).rejects.toThrow(/append-only: TRUNCATE refused/);
    expect((await audit.list({ limit: 10 })).map((e) => e.principal)).toEqual(['p']);
    expect(await audit.prune(new Date(Date.now() - 3_600_000))).toBe(0);
    expect(await audit.prune(new Date(Date.now() + 1000))).toBe(1);
    expect(await audit.list({ limit: 10 })).toEqual([]);
    // The prune's permission ended with its transaction.
    await audit.append([{ principal: 'q', kind: 'export', outcome: 'done' }]);
    await expect(sql('delete from audit_event')).rejects.toThrow(/append-only/);
  });
});
