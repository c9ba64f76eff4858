/**
 * A resumed import job reads its file again and skips the org passes already committed, so it
 * must be the same file: the first run keeps the file's fingerprint on the job
 * (src/application/jobs/source-check.ts) and a resumed run compares it before reading. A job
 * from a local file and one from GCS (our emulator, a separate process) are interrupted by a
 * restart (as in jobs-restart.test.ts); the file changed before the resume → FAILED with
 * JOB-source-changed and nothing more written; unchanged → SUCCEEDED with a clean run's report.
 * Runs on PGlite on disk, and on PostgreSQL when DATABASE_URL is set.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import { Storage } from '@google-cloud/storage';
import { startTestApp } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { muteCredentialsWarning } from '../support/export-helpers.js';
import { type GcsEmulator, startGcsEmulator } from '../support/gcs-emulator.js';
import { bulkOrgs } from '../support/import-data.js';
import { ndjson, reportRows, restJson, waitForJob, watchToEnd } from '../support/jobs.js';
import { fakeServiceAccount } from '../support/service-account.js';

const ORGS = 30;
const USERS = 200;
const BUCKET = 'job-sources';
const CREDENTIALS = Buffer.from(JSON.stringify(fakeServiceAccount())).toString('base64');

const savedHost = process.env.STORAGE_EMULATOR_HOST;
let unmute: () => void;
let emulator: GcsEmulator;
let storage: Storage;

beforeAll(async () => {
  // google-auth-library warns on every `credentials` option, which src/blob/gcs.ts uses on purpose.
  unmute = muteCredentialsWarning();
  emulator = await startGcsEmulator();
  process.env.STORAGE_EMULATOR_HOST = emulator.url;
  storage = new Storage({ projectId: 'demo-test' });
  await storage.createBucket(BUCKET);
});
afterAll(async () => {
  await emulator?.stop();
  if (savedHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
  else process.env.STORAGE_EMULATOR_HOST = savedHost;
  unmute?.();
});

interface Source {
  name: string;
  /** The StartImport request's `data` for the file. */
  request: JsonObject;
  put(content: string): Promise<void>;
}

const localSource = (importDir: string, file: string): Source => ({
  name: 'local',
  request: { dataOrgsLocal: { path: file } },
  put: (content) => writeFile(join(importDir, file), content),
});
const gcsSource = (object: string): Source => ({
  name: 'gcs',
  request: { dataOrgsGcs: { bucket: BUCKET, path: object, serviceaccountJson: CREDENTIALS } },
  put: (content) => storage.bucket(BUCKET).file(object).save(content),
});

const orgsOf = (prefix: string) => bulkOrgs(prefix, ORGS, USERS);

/**
 * Starts the job on one app, stops that app gracefully after two org passes, runs `between`,
 * and resumes on a second start on the same data; answers the job's last state, its report and
 * its audit events.
 */
async function interrupted(prefix: string, source: (importDir: string) => Source, between: (s: Source) => Promise<void>) {
  const database = await createTestDatabase({ onDisk: true });
  const dir = await mkdtemp(join(tmpdir(), 'idport-jobs-source-'));
  const importDir = join(dir, 'imports');
  await mkdir(importDir);
  const overrides = { database: database.config, adminTokenFile: join(dir, 'admin.pat'), importDir };
  const file = source(importDir);
  await file.put(JSON.stringify({ orgs: orgsOf(prefix) }));
  try {
    const first = await startTestApp(overrides);
    const started = await restJson(first.url, first.token, 'POST', '/idport/v1/jobs/import', {
      request: { timeout: '10m', ...file.request },
    });
    expect(started.status).toBe(200);
    const id = String((started.json.job as JsonObject).id);
    const seen = await waitForJob(first.url, first.token, id, (j) => Number((j.progress as JsonObject | undefined)?.orgsDone ?? 0) >= 2);
    expect(seen.state).toBe('JOB_STATE_RUNNING');
    await first.shutdown();
    await first.close();

    await between(file);
    const second = await startTestApp(overrides);
    try {
      const end = (await watchToEnd(second.url, second.token, id)).at(-1) as JsonObject;
      const { rows, last } = await reportRows(second.url, second.token, id);
      const audit = await ndjson(second.url, second.token, `/idport/v1/audit:export?job_id=${id}`);
      return { end, rows, last, events: audit.lines.map((l) => (l.result as JsonObject).event as JsonObject) };
    } finally {
      await second.close();
    }
  } finally {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

const sources: [string, (importDir: string) => Source][] = [
  ['a local file', (importDir) => localSource(importDir, 'export.json')],
  ['a GCS object', () => gcsSource(`export-${Math.random().toString(36).slice(2)}.json`)],
];

describe.each(sources)('a job importing %s, interrupted by a restart', (_name, source) => {
  test('resumes over the unchanged file to the report of a clean run', async () => {
    const orgs = orgsOf('sc');
    const { end, rows, last, events } = await interrupted('sc', source, async () => undefined);
    expect(end).toMatchObject({ state: 'JOB_STATE_SUCCEEDED', takeovers: 1 });
    expect(rows).toHaveLength(ORGS * (USERS + 1));
    expect(new Set(rows.map((r) => r.outcome))).toEqual(new Set(['OUTCOME_CREATED']));
    expect(rows.map((r) => r.orgId)).toEqual(orgs.flatMap((o) => Array.from({ length: USERS + 1 }, () => o.orgId)));
    expect(last.counts).toEqual({ created: String(ORGS * (USERS + 1)) });
    expect(events).toHaveLength(ORGS * (USERS + 1));
    expect(end.error).toBeUndefined();
  }, 240_000);

  test('ends FAILED with JOB-source-changed when the file changed before the resume, writing nothing more', async () => {
    const changed = orgsOf('sc').map((o, i) => (i === ORGS - 1 ? { ...o, org: { name: 'renamed after the start' } } : o));
    const { end, rows, events } = await interrupted('sc', source, (file) => file.put(JSON.stringify({ orgs: changed })));
    expect(end).toMatchObject({ state: 'JOB_STATE_FAILED', takeovers: 1 });
    expect(String(end.error)).toMatch(
      /^JOB-source-changed: (local:export\.json|gcs:\/\/job-sources\/export-.*\.json) changed since the job started/,
    );
    // What the first run committed is all there is: its org passes, and one audit event per row.
    const committed = Number((end.progress as JsonObject).orgsDone);
    expect(committed).toBeGreaterThanOrEqual(2);
    expect(committed).toBeLessThan(ORGS);
    expect(rows).toHaveLength(committed * (USERS + 1));
    expect(new Set(rows.map((r) => r.outcome))).toEqual(new Set(['OUTCOME_CREATED']));
    expect(events).toHaveLength(rows.length);
  }, 240_000);
});
