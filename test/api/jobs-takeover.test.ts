/**
 * A job survives SIGKILL of the replica running it: two idport processes on one PostgreSQL the
 * test starts; the one running the import is killed with SIGKILL mid-import; the other takes
 * the job over once the lease (3 s here) lapses, goes on from the last checkpoint, and ends with
 * the report a clean run of the same import gives, and an audit trail with one event per row.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import pg from 'pg';
import { bulkOrgs } from '../support/import-data.js';
import { reportRows, restJson, startImportJob, waitForJob, watchToEnd } from '../support/jobs.js';
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-postgres.js';

const ROOT = new URL('../..', import.meta.url).pathname;

interface Replica {
  name: string;
  child: ChildProcess;
  url: string;
  home: string;
  exit: Promise<unknown>;
}

const SHARED_KEY = randomBytes(32).toString('base64');

async function startReplica(name: string, databaseUrl: string): Promise<Replica> {
  const home = await mkdtemp(join(tmpdir(), `idport-replica-${name}-`));
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('IDPORT_') && k !== 'NODE_OPTIONS'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...base,
      DATABASE_URL: databaseUrl,
      IDPORT_HOME: home,
      IDPORT_HOST: '127.0.0.1',
      IDPORT_PORT: '0',
      IDPORT_REPLICA: name,
      // Replicas of one database share the key that seals secrets at rest, a job's stored
      // request among them (README): a replica with a key of its own could not resume the job.
      IDPORT_SECRETS_KEY: SHARED_KEY,
      IDPORT_JOB_LEASE: '3s',
      IDPORT_JOB_POLL: '100ms',
      IDPORT_LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = once(child, 'exit');
  let out = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (s: string) => {
      out += s;
      const m = /idport listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    exit.then(() => reject(new Error(`replica ${name} ended: ${out}`)));
  });
  return { name, child, url: `http://127.0.0.1:${port}`, home, exit };
}

async function stopReplica(r: Replica) {
  if (r.child.exitCode === null && r.child.signalCode === null) {
    r.child.kill('SIGTERM');
    await r.exit;
  }
  await rm(r.home, { recursive: true, force: true });
}

const tokenOf = async (r: Replica) => (await readFile(join(r.home, 'admin.pat'), 'utf8')).trim();
const rowKey = (r: JsonObject) => [r.orgId, r.type, r.id, r.outcome, r.message ?? ''];

let postgres: PrivatePostgres;
const replicas: Replica[] = [];

beforeAll(async () => {
  postgres = await startPrivatePostgres();
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query('create database shared');
  await admin.query('create database clean');
  await admin.end();
}, 60_000);

afterAll(async () => {
  for (const r of replicas) await stopReplica(r);
  await postgres?.destroy();
});

const dbUrl = (name: string) => postgres.url.replace(/\/postgres$/, `/${name}`);

test('SIGKILL of the replica running an import: the other takes it over and reports what a clean run reports', async () => {
  const orgs = bulkOrgs('tk', 40, 300);
  // Two orgs conflict, so the report holds failures too (the same id in two orgs).
  const users = (i: number) => (orgs[i] as JsonObject).humanUsers as JsonObject[];
  users(5).push({ ...users(4)[0] });

  const first = await startReplica('replica-a', dbUrl('shared'));
  replicas.push(first);
  const second = await startReplica('replica-b', dbUrl('shared'));
  replicas.push(second);
  const token = await tokenOf(first);

  const job = await startImportJob(first.url, token, orgs);
  const id = String(job.id);
  const running = await waitForJob(
    first.url,
    token,
    id,
    (j) => j.state === 'JOB_STATE_RUNNING' && Number((j.progress as JsonObject | undefined)?.orgsDone ?? 0) >= 3,
  );
  const victim = replicas.find((r) => r.name === running.replica) as Replica;
  const survivor = victim === first ? second : first;
  victim.child.kill('SIGKILL');
  await victim.exit;

  const events = await watchToEnd(survivor.url, token, id);
  const done = events.at(-1) as JsonObject;
  expect(done).toMatchObject({ state: 'JOB_STATE_SUCCEEDED', replica: survivor.name, takeovers: 1 });
  expect(Number((done.progress as JsonObject).orgsDone)).toBe(40);

  const clean = await startReplica('replica-clean', dbUrl('clean'));
  replicas.push(clean);
  const cleanToken = await tokenOf(clean);
  const cleanJob = await startImportJob(clean.url, cleanToken, orgs);
  expect((await watchToEnd(clean.url, cleanToken, String(cleanJob.id))).at(-1)?.state).toBe('JOB_STATE_SUCCEEDED');

  const resumed = await reportRows(survivor.url, token, id);
  const reference = await reportRows(clean.url, cleanToken, String(cleanJob.id));
  expect(resumed.rows.length).toBe(40 * 301 + 1);
  expect(resumed.rows.map(rowKey)).toEqual(reference.rows.map(rowKey));
  expect(resumed.last.counts).toEqual(reference.last.counts);
  expect(resumed.last.response).toEqual(reference.last.response);
  expect(resumed.rows.filter((r) => r.outcome === 'OUTCOME_FAILED')).toHaveLength(1);

  // One audit event per report row: the org the killed replica was writing rolled back with its events.
  let audited = 0;
  let pageToken = '';
  do {
    const page = await restJson(survivor.url, token, 'GET', `/idport/v1/audit?job_id=${id}&page_size=1000&page_token=${pageToken}`);
    audited += ((page.json.events as unknown[] | undefined) ?? []).length;
    pageToken = String(page.json.nextPageToken ?? '');
  } while (pageToken);
  expect(audited).toBe(resumed.rows.length);
}, 240_000);
