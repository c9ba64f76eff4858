import type { EntityManager } from '@mikro-orm/sql';
import type { ItemResult } from '../../src/application/import/import-report.js';
import { PackedResults, RECORD_FORMAT } from '../../src/application/import/packed-results.js';
import type { AuditEntry, JobStore } from '../../src/application/jobs/job-ports.js';
import { emptyProgress } from '../../src/application/jobs/job-progress.js';
import { createAuditStore } from '../../src/persistence/jobs/audit-store.js';
import { createJobStore } from '../../src/persistence/jobs/job-store.js';
import { type Database, openDatabase } from '../../src/persistence/orm.js';
import { query } from '../../src/persistence/resources/resource-sql.js';
import { createResourceTransactions } from '../../src/persistence/resources/resource-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testSecretsAtRest } from '../support/secrets.js';

// A step's report rows and a pass's audit events as the job store and audit trail keep them
// (grouped rows in job_step.results; COPY into audit_event on PostgreSQL, INSERTs on PGlite):
// what goes in comes back, in order, for an org of more than 5,000 resources.
const backends: [string, () => Promise<TestDatabase>][] = [
  ['PGlite', async () => ({ config: { kind: 'pglite', dataDir: 'memory://' }, drop: async () => {} })],
];
if (process.env.DATABASE_URL) backends.push(['PostgreSQL', () => createTestDatabase()]);

/** 6,000 created users of one org, failures and skips with messages between, then another org's rows. */
function results(): ItemResult[] {
  const out: ItemResult[] = [{ orgId: 'o1', type: 'org', id: 'o1', outcome: 'created', item: {} }];
  for (let i = 0; i < 6000; i++) {
    out.push({ orgId: 'o1', type: 'human_user', id: `u${i}`, outcome: 'created', item: { userName: `user ${i}` } });
    if (i === 2500) out.push({ orgId: 'o1', type: 'human_user', id: 'bad', outcome: 'failed', message: 'tab\there,\nnewline', item: {} });
    if (i === 4000)
      out.push({ orgId: 'o1', type: 'user_grant', id: 'g', outcome: 'skipped', message: 'no such project', item: { userId: 'u1' } });
  }
  out.push({ orgId: 'o2', type: 'project', id: 'p1', outcome: 'unchanged', item: {} });
  out.push({ orgId: 'o2', type: 'project', id: 'p2', outcome: 'updated', item: {} });
  return out;
}

describe.each(backends)('job step results and audit events on %s', (_name, create) => {
  let testDb: TestDatabase;
  let db: Database;
  let jobs: JobStore;
  const sql = (text: string, params: unknown[] = []) => db.em().transactional((em) => query(em as unknown as EntityManager, text, params));

  beforeAll(async () => {
    testDb = await create();
    db = await openDatabase(testDb.config);
    jobs = createJobStore(db, testSecretsAtRest());
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  test('a step round-trips its rows (failures with their messages) and its audit events, written in its transaction', async () => {
    await jobs.create({
      id: 'j-rt',
      kind: 'import',
      principal: 'p',
      source: 'inline',
      target: 'database',
      request: {},
      progress: emptyProgress(),
    });
    await jobs.claim('a', 60_000, () => null);
    const rows = results();
    const audit = createAuditStore(db);
    // A sha256 in hex, as job-digests.ts makes them (the store keeps them as 32 bytes each).
    const DIGEST = 'ab'.repeat(32);
    const entries = function* (): Generator<AuditEntry> {
      for (const r of rows) {
        yield {
          principal: 'p',
          jobId: 'j-rt',
          source: 'inline',
          kind: r.type,
          orgId: r.orgId,
          resourceId: r.id,
          outcome: r.outcome,
          digestAfter: DIGEST,
          detail: r.message ?? '',
        };
      }
    };
    const tx = createResourceTransactions(db, testSecretsAtRest());
    await tx.write(AbortSignal.timeout(30_000), { rollback: false }, async (w) => {
      await audit.append(entries(), w);
      await jobs.checkpoint(w, 'j-rt', 'a', { step: 0, pass: 1, orgId: 'o1', results: rows, state: { refs: [] } }, emptyProgress());
    });
    const [step] = await jobs.steps('j-rt', 0, 10);
    expect(step?.results).toEqual(rows);
    const events = await audit.list({ jobId: 'j-rt', limit: 10_000 });
    expect(events.map((e) => [e.kind, e.orgId, e.resourceId, e.outcome, e.detail])).toEqual(
      rows.map((r) => [r.type, r.orgId, r.id, r.outcome, r.message ?? '']),
    );
  });

  test('a step stored as a plain array of rows (before grouping) is read as it was', async () => {
    const old: ItemResult[] = [{ orgId: 'o9', type: 'org', id: 'o9', outcome: 'created', item: {} }];
    await sql("insert into job_step (job_id, step, pass, org_id, results, state) values ('j-rt', 1, 1, 'o9', $1::jsonb, '{}'::jsonb)", [
      JSON.stringify(old),
    ]);
    const [step] = await jobs.steps('j-rt', 1, 1);
    expect(step?.results).toEqual(old);
  });
  test("a pass's packed outcomes are stored as packed runs and read back as the same packed outcomes", async () => {
    const packed = new PackedResults();
    packed.add({ orgId: 'o3', type: 'org', id: 'o3', outcome: 'created', item: {} });
    for (let i = 0; i < 6000; i++)
      packed.add({ orgId: 'o3', type: 'human_user', id: `u${i}`, outcome: 'created', item: { userId: `u${i}` } });
    packed.add({ orgId: 'o3', type: 'human_user', id: 'bad', outcome: 'failed', message: 'tab\there', item: {} });
    const tx = createResourceTransactions(db, testSecretsAtRest());
    await tx.write(AbortSignal.timeout(30_000), { rollback: false }, (w) =>
      jobs.checkpoint(w, 'j-rt', 'a', { step: 2, pass: 1, orgId: 'o3', results: packed, state: { refs: [] } }, emptyProgress()),
    );
    // The runs' records as bytes beside the JSON (v4), not base64 inside it.
    const [stored] = await sql(
      "select results->>'v' as v, octet_length(records) > 6000 as bytes, results::text not like '%\"b\"%' as slim from job_step where job_id = 'j-rt' and step = 2",
    );
    expect(stored).toEqual({ v: '4', bytes: true, slim: true });
    const [step] = await jobs.steps('j-rt', 2, 1);
    const read = step?.results;
    expect(read).toBeInstanceOf(PackedResults);
    expect([...(read ?? [])]).toEqual([...packed]);
    expect((read as PackedResults).counts).toEqual(packed.counts);

    // A step an earlier version wrote (v3: records in base64 inside the JSON) reads the same.
    const v3 = {
      v: 3,
      records: RECORD_FORMAT,
      parts: [...packed.stored()].map((p) =>
        'whole' in p ? { w: p.whole } : { r: [p.orgId, p.type, p.outcome, p.count], b: Buffer.from(p.records).toString('base64') },
      ),
    };
    await db
      .em()
      .transactional((em) =>
        query(
          em as unknown as EntityManager,
          "insert into job_step (job_id, step, pass, org_id, results, state) values ('j-rt', 3, 1, 'o3', $1::json, '{}'::jsonb)",
          [JSON.stringify(v3)],
        ),
      );
    const [old] = await jobs.steps('j-rt', 3, 1);
    expect([...((old?.results as PackedResults | undefined) ?? [])]).toEqual([...packed]);
  });
});
