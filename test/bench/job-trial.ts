/**
 * Issue 11's "done when" as a run: a big import started with ONE REST call can be watched to
 * the end from another terminal, survives SIGKILL of the replica running it, and leaves an audit
 * trail that accounts for every resource. On the PostgreSQL server DATABASE_URL names, in a
 * database of its own (dropped at the end):
 *   1. writes the bench dataset file (dataset.ts, files.ts);
 *   2. starts two idport replicas on that database (server-process.ts), sharing the secrets key;
 *   3. `POST /idport/v1/jobs/import` once; a child process (job-watcher.ts) watches the job over
 *      `GET /idport/v1/jobs/{id}:watch` from the replica not running it;
 *   4. SIGKILLs the replica running the job once ~30% of the resources are created; the other
 *      takes it over when the lease lapses;
 *   5. checks: SUCCEEDED after a takeover; the report's rows are the dataset's resources, each
 *      CREATED once; the job's audit events match the report by kind and outcome, one per
 *      resource (a killed replica's open org pass rolled back with its events); the watcher saw
 *      both replicas and the end.
 * Prints a summary and writes it to bench/results/ (not committed).
 * Usage: DATABASE_URL=postgresql://… npx tsx test/bench/job-trial.ts [--users 1000000] [--orgs 10] [--projects 10]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { parseArgs } from 'node:util';
import { createDataset } from './dataset.js';
import { environment } from './environment.js';
import { writeImportFile } from './files.js';
import { currentLoad, rate, resultFileName } from './results.js';
import { createScratchDatabase, newRunId } from './scratch-db.js';
import { postJson, type ServerProcess, startServer } from './server-process.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '1000000' },
    orgs: { type: 'string', default: '10' },
    projects: { type: 'string', default: '10' },
    'kill-at': { type: 'string', default: '0.3' },
  },
});
const users = Number(args.users);
const killAt = Number(args['kill-at']);
const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) throw new Error('DATABASE_URL must name a PostgreSQL server (the trial creates and drops a database of its own)');

const ROOT = new URL('../..', import.meta.url).pathname;
const LEASE = '5s';
const load = { start: currentLoad() };
const env = await environment(serverUrl);
const log = (m: string) => console.log(`[job-trial] ${m}`);

interface JobView {
  id: string;
  state: string;
  replica: string;
  takeovers?: number;
  error?: string;
  createdAt: string;
  finishedAt?: string;
  progress?: { resources?: { type: string; counts: Record<string, string> }[] };
}
type Counts = Record<string, number>;
const add = (c: Counts, key: string, n = 1) => {
  c[key] = (c[key] ?? 0) + n;
};
const outcomeOf = (o: unknown) =>
  String(o)
    .replace(/^(AUDIT_)?OUTCOME_/, '')
    .toLowerCase();
const createdOf = (job: JobView) => (job.progress?.resources ?? []).reduce((n, r) => n + Number(r.counts.created ?? 0), 0);

/** Each NDJSON line's `result` of a GET, streamed (a million-row report never sits in memory). */
async function* ndjson(server: ServerProcess, path: string): AsyncGenerator<Record<string, unknown>> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.token}` } });
  if (res.status !== 200 || !res.body) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  for await (const line of createInterface({ input: Readable.fromWeb(res.body as ReadableStream), crlfDelay: Infinity })) {
    if (!line) continue;
    const parsed = JSON.parse(line) as { result?: Record<string, unknown>; error?: unknown };
    if (parsed.error) throw new Error(`GET ${path}: ${JSON.stringify(parsed.error)}`);
    if (parsed.result) yield parsed.result;
  }
}

async function getJob(server: ServerProcess, id: string): Promise<JobView> {
  const res = await fetch(`${server.url}/idport/v1/jobs/${id}`, { headers: { authorization: `Bearer ${server.token}` } });
  return ((await res.json()) as { job: JobView }).job;
}

function startWatcher(server: ServerProcess, id: string): { child: ChildProcess; seen: Promise<JobView[]> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/bench/job-watcher.ts'), server.url, server.token, id], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const seen = (async () => {
    const jobs: JobView[] = [];
    const exit = once(child, 'exit');
    for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream, crlfDelay: Infinity })) {
      if (line) jobs.push(JSON.parse(line) as JobView);
    }
    const [code] = (await exit) as [number | null];
    if (code !== 0) throw new Error(`the watcher exited with ${code}`);
    return jobs;
  })();
  return { child, seen };
}

const runId = newRunId();
const work = await mkdtemp(join(tmpdir(), 'idport-job-trial-'));
const db = await createScratchDatabase(serverUrl, runId, 'trial');
const servers: ServerProcess[] = [];
const checks: Record<string, boolean> = {};
let summary: Record<string, unknown> = {};
try {
  const orgs = Number(args.orgs);
  const dataset = createDataset({ orgs, usersPerOrg: Math.ceil(users / orgs), projectsPerOrg: Number(args.projects) });
  const importDir = join(work, 'imports');
  await mkdir(importDir);
  await writeImportFile(dataset, join(importDir, 'trial.json'));
  log(`dataset: ${users} users in ${orgs} orgs, ${dataset.resources} resources; database ${db.name}`);

  const key = randomBytes(32).toString('base64');
  const replica = async (name: string, token?: string) => {
    const home = await mkdtemp(join(work, `${name}-`));
    // Only the first start on a database writes the admin token: the second gets a copy.
    if (token) await copyFile(token, join(home, 'admin.pat'));
    const server = await startServer(
      {
        DATABASE_URL: db.url,
        IDPORT_IMPORT_DIR: importDir,
        IDPORT_EXPORT_DIR: join(home, 'exports'),
        IDPORT_REPLICA: name,
        IDPORT_SECRETS_KEY: key,
        IDPORT_JOB_LEASE: LEASE,
        IDPORT_JOB_POLL: '200ms',
      },
      home,
    );
    servers.push(server);
    return { name, server, home };
  };
  const a = await replica('replica-a');
  const b = await replica('replica-b', join(a.home, 'admin.pat'));
  const byName = new Map([a, b].map((r) => [r.name, r]));

  // The one REST call that starts it (what `curl -X POST …/jobs/import -d @request.json` sends).
  const started = performance.now();
  const res = await postJson(`${a.server.url}/idport/v1/jobs/import`, a.server.token, {
    request: { timeout: '6h', data_orgs_local: { path: 'trial.json' } },
  });
  const id = (res.json.job as { id?: string } | undefined)?.id;
  if (res.status !== 200 || !id) throw new Error(`StartImport: HTTP ${res.status}: ${JSON.stringify(res.json).slice(0, 600)}`);
  log(`job ${id} started`);

  let job = await getJob(a.server, id);
  while (job.state === 'JOB_STATE_QUEUED' || !job.replica) {
    await new Promise((r) => setTimeout(r, 100));
    job = await getJob(a.server, id);
  }
  const runner = byName.get(job.replica);
  const survivor = runner === a ? b : a;
  if (!runner) throw new Error(`job runs on ${job.replica}, not a replica of this trial`);
  const watcher = startWatcher(survivor.server, id);
  log(`running on ${runner.name}; watching from another process through ${survivor.name}`);

  // Kill once the created resources pass the threshold.
  while (createdOf(job) < killAt * dataset.resources) {
    if (!['JOB_STATE_QUEUED', 'JOB_STATE_RUNNING'].includes(job.state))
      throw new Error(`job ended before the kill: ${job.state} ${job.error ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
    job = await getJob(survivor.server, id);
  }
  const killedAtCreated = createdOf(job);
  const runnerPeakRss = await runner.server.peakRss();
  process.kill(runner.server.pid, 'SIGKILL');
  servers.splice(servers.indexOf(runner.server), 1);
  const killedAt = performance.now();
  log(`SIGKILL ${runner.name} (pid ${runner.server.pid}) at ${killedAtCreated} of ${dataset.resources} resources created`);

  const seen = await watcher.seen;
  const wallMs = performance.now() - started;
  const afterKillMs = performance.now() - killedAt;
  job = await getJob(survivor.server, id);
  log(`job ended ${job.state} on ${job.replica} after ${Math.round(wallMs / 1000)} s`);

  // The report: every row, counted by type and outcome.
  const report: Counts = {};
  const reportIds = new Set<string>();
  let reportRows = 0;
  for await (const chunk of ndjson(survivor.server, `/idport/v1/jobs/${id}/report`)) {
    for (const r of (chunk.results as Record<string, unknown>[] | undefined) ?? []) {
      reportRows++;
      add(report, `${r.type}:${outcomeOf(r.outcome)}`);
      reportIds.add(`${r.type}|${r.orgId ?? ''}|${r.id}`);
    }
  }
  // The audit trail of the job: by kind and outcome, and each resource once.
  const audit: Counts = {};
  const auditIds = new Set<string>();
  let auditEvents = 0;
  for await (const line of ndjson(survivor.server, `/idport/v1/audit:export?job_id=${id}`)) {
    const e = line.event as Record<string, unknown>;
    auditEvents++;
    add(audit, `${e.kind}:${outcomeOf(e.outcome)}`);
    auditIds.add(`${e.kind}|${e.orgId ?? ''}|${e.resourceId}`);
  }
  const sameCounts = (x: Counts, y: Counts) => JSON.stringify(Object.entries(x).sort()) === JSON.stringify(Object.entries(y).sort());

  checks.succeeded = job.state === 'JOB_STATE_SUCCEEDED';
  checks.tookOver = (job.takeovers ?? 0) >= 1 && job.replica === survivor.name;
  checks.everyResourceCreated = createdOf(job) === dataset.resources;
  checks.reportIsTheDataset = reportRows === dataset.resources && Object.keys(report).every((k) => k.endsWith(':created'));
  checks.reportRowsDistinct = reportIds.size === reportRows;
  checks.auditMatchesReport = sameCounts(audit, report);
  checks.auditOncePerResource = auditEvents === reportRows && auditIds.size === auditEvents;
  checks.watcherSawBothReplicas = seen.some((j) => j.replica === runner.name) && seen.some((j) => j.replica === survivor.name);
  checks.watcherSawTheEnd = seen.at(-1)?.state === 'JOB_STATE_SUCCEEDED';

  summary = {
    kind: 'job-trial',
    time: new Date().toISOString(),
    environment: env,
    load: { ...load, end: currentLoad() },
    dataset: { users, orgs, projects: Number(args.projects), resources: dataset.resources },
    job: { id, state: job.state, takeovers: job.takeovers ?? 0, error: job.error ?? '' },
    killed: {
      replica: runner.name,
      atCreated: killedAtCreated,
      atFraction: Math.round((killedAtCreated / dataset.resources) * 1000) / 1000,
      peakRssMb: Math.round(runnerPeakRss / 1048576),
    },
    survivor: { replica: survivor.name, peakRssMb: Math.round((await survivor.server.peakRss()) / 1048576) },
    lease: LEASE,
    wallMs: Math.round(wallMs),
    // From the SIGKILL to the watcher's last event: the lease lapsing, the takeover, the rest.
    afterKillMs: Math.round(afterKillMs),
    jobMs: Date.parse(job.finishedAt ?? '') - Date.parse(job.createdAt),
    rowsPerSec: rate(dataset.resources, wallMs),
    watcherEvents: seen.length,
    reportRows,
    auditEvents,
    byKindAndOutcome: report,
    checks,
    ok: Object.values(checks).every(Boolean),
  };
} finally {
  for (const s of servers) await s.stop().catch(() => undefined);
  const warning = await db.drop();
  if (warning) log(warning);
  await rm(work, { recursive: true, force: true });
}

const out = join(ROOT, 'bench/results', resultFileName(new Date(), users, false).replace(/\.json$/, '-job-trial.json'));
await mkdir(join(ROOT, 'bench/results'), { recursive: true });
await writeFile(out, `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify(summary, null, 2));
log(
  `${summary.ok ? 'PASSED' : 'FAILED'}: ${
    Object.entries(checks)
      .filter(([, v]) => !v)
      .map(([k]) => k)
      .join(', ') || 'every check holds'
  }; written to ${out}`,
);
process.exitCode = summary.ok ? 0 : 1;
