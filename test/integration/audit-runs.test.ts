import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator } from '@mikro-orm/migrations';
import type { AuditEntry, AuditRecord, AuditRun, AuditStore } from '../../src/application/jobs/job-ports.js';
import { entities } from '../../src/persistence/entities/index.js';
import { createAuditStore } from '../../src/persistence/jobs/audit-store.js';
import { migrationsList } from '../../src/persistence/migrations/index.js';
import { type Database, type DatabaseConfig, openDatabase } from '../../src/persistence/orm.js';
import { createResourceTransactions } from '../../src/persistence/resources/resource-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testSecretsAtRest } from '../support/secrets.js';

// The audit trail stored as runs of events (audit-store.ts), on both backends: every event
// reads back as it was appended, in order, with its own increasing id, whether a page ends
// inside a run or a run is cut at its size limit; the resource filter finds an event inside a
// run; the prune counts events; and events written before runs survive the migration to them.
const backends: [string, () => Promise<TestDatabase>][] = [
  [
    'PGlite',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'idport-audit-runs-'));
      return { config: { kind: 'pglite', dataDir: dir }, drop: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
];
if (process.env.DATABASE_URL) backends.push(['PostgreSQL', () => createTestDatabase()]);

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** 5,000 created users (more than a row holds), three failures with details (one with characters to escape), one updated project, an admin act. */
function sampleEntries(): AuditEntry[] {
  const shared = { principal: 'admin', jobId: 'job-1', source: 'local:bench.json', orgId: 'org-1' };
  const out: AuditEntry[] = [];
  for (let i = 0; i < 5000; i++) {
    out.push({ ...shared, kind: 'human_user', resourceId: `u-${i}`, outcome: 'created', digestAfter: sha(`u-${i}`) });
  }
  out.push({ ...shared, kind: 'human_user', resourceId: 'bad-1', outcome: 'failed', detail: 'IMPORT-USER-EMAIL: invalid' });
  out.push({ ...shared, kind: 'human_user', resourceId: 'bad-2', outcome: 'failed', detail: 'IMPORT-USER-EMAIL: also\tinvalid' });
  // Characters an array literal or COPY's text format must escape, in ids and details.
  out.push({ ...shared, kind: 'human_user', resourceId: 'q"uo\\te,{x} \t\n', outcome: 'failed', detail: 'a "b" \\ c\r\nd' });
  out.push({ ...shared, kind: 'project', resourceId: 'p-1', outcome: 'updated', digestBefore: sha('old'), digestAfter: sha('new') });
  out.push({ principal: 'someone', kind: 'pat.removed', orgId: 'org-1', resourceId: 'tok-1', outcome: 'done', detail: '{"a":1}' });
  return out;
}

/** What list() answers for an appended entry: every field given, '' where absent. */
const asListed = (e: AuditEntry) => ({
  principal: e.principal,
  jobId: e.jobId ?? '',
  source: e.source ?? '',
  kind: e.kind,
  orgId: e.orgId ?? '',
  resourceId: e.resourceId ?? '',
  outcome: e.outcome,
  digestBefore: e.digestBefore ?? '',
  digestAfter: e.digestAfter ?? '',
  detail: e.detail ?? '',
});
const withoutIdAndTime = ({ id: _id, time: _time, ...rest }: AuditRecord) => rest;

async function listAll(audit: AuditStore, filter: { resourceId?: string; jobId?: string }, pageSize: number) {
  const out: AuditRecord[] = [];
  let afterId: string | undefined;
  for (;;) {
    const page = await audit.list({ ...filter, ...(afterId ? { afterId } : {}), limit: pageSize });
    out.push(...page);
    if (page.length < pageSize) return out;
    afterId = page.at(-1)?.id;
  }
}

describe.each(backends)('audit runs on %s', (_name, create) => {
  let testDb: TestDatabase;
  let db: Database;
  let audit: AuditStore;

  beforeAll(async () => {
    testDb = await create();
    db = await openDatabase(testDb.config);
    audit = createAuditStore(db);
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  test('every event reads back as appended, in order, paged inside and across runs', async () => {
    const entries = sampleEntries();
    await audit.append(entries);
    const listed = await listAll(audit, {}, 997);
    expect(listed.map(withoutIdAndTime)).toEqual(entries.map(asListed));
    const ids = listed.map((e) => BigInt(e.id));
    expect(ids.every((id, i) => i === 0 || id > (ids[i - 1] as bigint))).toBe(true);
    expect(new Set(ids).size).toBe(entries.length);
  });

  test('the resource filter finds an event inside a run, and the job filter pages its events', async () => {
    const found = await audit.list({ resourceId: 'u-4500', limit: 10 });
    expect(found.map(withoutIdAndTime)).toEqual([asListed(sampleEntries()[4500] as AuditEntry)]);
    expect(await audit.list({ resourceId: 'u-4500', afterId: found[0]?.id, limit: 10 })).toEqual([]);
    const odd = sampleEntries()[5002] as AuditEntry;
    expect((await audit.list({ resourceId: odd.resourceId ?? '', limit: 10 })).map(withoutIdAndTime)).toEqual([asListed(odd)]);
    expect((await listAll(audit, { jobId: 'job-1' }, 250)).length).toBe(5004);
  });

  test('a page token that is not an event id is refused as the caller’s error', async () => {
    await expect(audit.list({ afterId: '12; drop table audit_event', limit: 1 })).rejects.toMatchObject({ kind: 'InvalidArgument' });
  });

  test('an event that cannot be stored fails its transaction at once, and none of its events are kept', async () => {
    const bad = sampleEntries().slice(0, 4500);
    bad.push({ ...(bad[0] as AuditEntry), resourceId: 'short-digest', digestAfter: 'abc' });
    const tx = createResourceTransactions(db, testSecretsAtRest());
    const write = tx.write(AbortSignal.timeout(20_000), { rollback: false }, (w) => audit.append(bad, w));
    await expect(write).rejects.toThrow(/a digest is 64 hex digits/);
    expect((await audit.list({ jobId: 'job-1', limit: 100_000 })).length).toBe(5004);
  });

  test('a run handed over whole (more than a row holds) reads back event by event', async () => {
    const head = {
      principal: 'admin',
      jobId: 'job-2',
      source: 'inline',
      kind: 'user_grant',
      orgId: 'org-2',
      outcome: 'unchanged' as const,
    };
    const ids = Array.from({ length: 4100 }, (_, i) => `g-${i}`);
    const digests = ids.map((id, i) => (i === 7 ? '' : sha(id)));
    const run: AuditRun = { head, resourceIds: ids, digestsBefore: digests, digestsAfter: digests };
    await audit.append([run, { ...head, resourceId: 'g-last', detail: 'after the run' }]);
    const listed = await listAll(audit, { jobId: 'job-2' }, 1000);
    expect(listed.map(withoutIdAndTime)).toEqual([
      ...ids.map((id, i) => asListed({ ...head, resourceId: id, digestBefore: digests[i] as string, digestAfter: digests[i] as string })),
      asListed({ ...head, resourceId: 'g-last', detail: 'after the run' }),
    ]);
  });

  test('the prune counts events, not rows', async () => {
    expect(await audit.prune(new Date(Date.now() + 1000))).toBe(5005 + 4101);
    expect(await audit.list({ limit: 10 })).toEqual([]);
  });
});

/** MikroORM with the committed migrations, for stopping at one of them. */
async function ormAt(config: DatabaseConfig) {
  const migrations = { migrationsList, snapshot: false, transactional: true, silent: true };
  return config.kind === 'postgres'
    ? (await import('@mikro-orm/postgresql')).MikroORM.init({ entities, extensions: [Migrator], clientUrl: config.url, migrations })
    : (await import('@mikro-orm/pglite')).MikroORM.init({ entities, extensions: [Migrator], dbName: config.dataDir, migrations });
}

describe.each(backends)('events written before runs, on %s', (_name, create) => {
  test('survive the migration to runs, in order, with their digests and details', async () => {
    const testDb = await create();
    try {
      const orm = await ormAt(testDb.config);
      await orm.migrator.up({ to: 'Migration20261203140000' });
      const conn = orm.em.getConnection();
      await conn.execute(
        `insert into audit_event (principal, job_id, kind, org_id, resource_id, outcome, digest_before, digest_after, detail)
         values ('a', 'j', 'human_user', 'o', 'u-1', 'created', '', '${sha('x')}', ''),
                ('b', '', 'pat.added', 'o', 't-1', 'done', '', '', '{"k":1}')`,
      );
      await orm.close(true);
      const db = await openDatabase(testDb.config);
      try {
        const audit = createAuditStore(db);
        const listed = await audit.list({ limit: 10 });
        expect(listed.map(withoutIdAndTime)).toEqual([
          asListed({
            principal: 'a',
            jobId: 'j',
            kind: 'human_user',
            orgId: 'o',
            resourceId: 'u-1',
            outcome: 'created',
            digestAfter: sha('x'),
          }),
          asListed({ principal: 'b', kind: 'pat.added', orgId: 'o', resourceId: 't-1', outcome: 'done', detail: '{"k":1}' }),
        ]);
        expect((await audit.list({ resourceId: 't-1', limit: 10 })).map((e) => e.principal)).toEqual(['b']);
        // Appended after the migration: later ids.
        await audit.append([{ principal: 'c', kind: 'export', outcome: 'done' }]);
        const all = await audit.list({ limit: 10 });
        expect(all.map((e) => e.principal)).toEqual(['a', 'b', 'c']);
      } finally {
        await db.close();
      }
    } finally {
      await testDb.drop();
    }
  });
});
