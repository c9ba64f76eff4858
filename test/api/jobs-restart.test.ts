/**
 * The embedded default: one process runs the jobs. A job interrupted by a restart (SIGTERM's
 * graceful stop, then a new start on the same data) resumes from its last checkpoint on the
 * next start: the committed orgs are not imported again (they would report UNCHANGED), so the
 * report is the one an uninterrupted run gives (every row CREATED). Runs on PGlite on disk, and
 * on PostgreSQL when DATABASE_URL is set.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import { startTestApp } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { bulkOrgs } from '../support/import-data.js';
import { reportRows, startImportJob, waitForJob, watchToEnd } from '../support/jobs.js';

test('a job interrupted by a restart resumes from its checkpoint, with the report of an uninterrupted run', async () => {
  const database = await createTestDatabase({ onDisk: true });
  const dir = await mkdtemp(join(tmpdir(), 'idport-jobs-restart-'));
  const overrides = { database: database.config, adminTokenFile: join(dir, 'admin.pat') };
  try {
    const first = await startTestApp(overrides);
    const orgs = bulkOrgs('rs', 30, 200);
    const job = await startImportJob(first.url, first.token, orgs);
    const id = String(job.id);
    const seen = await waitForJob(first.url, first.token, id, (j) => Number((j.progress as JsonObject | undefined)?.orgsDone ?? 0) >= 2);
    expect(seen.state).toBe('JOB_STATE_RUNNING');
    await first.shutdown();
    await first.close();

    const second = await startTestApp(overrides);
    try {
      const during = await waitForJob(second.url, second.token, id, () => true);
      expect(['JOB_STATE_RUNNING', 'JOB_STATE_SUCCEEDED']).toContain(during.state);
      const done = (await watchToEnd(second.url, second.token, id)).at(-1) as JsonObject;
      expect(done).toMatchObject({ state: 'JOB_STATE_SUCCEEDED', takeovers: 1 });
      const { rows, last } = await reportRows(second.url, second.token, id);
      expect(rows).toHaveLength(30 * 201);
      expect(new Set(rows.map((r) => r.outcome))).toEqual(new Set(['OUTCOME_CREATED']));
      expect(rows.map((r) => r.orgId)).toEqual(orgs.flatMap((o) => Array.from({ length: 201 }, () => o.orgId)));
      expect(last.counts).toEqual({ created: String(30 * 201) });
    } finally {
      await second.close();
    }
  } finally {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
}, 180_000);
