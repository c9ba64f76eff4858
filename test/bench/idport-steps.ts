/**
 * One timed idport call each: a fresh server process (server-process.ts), one import or export
 * request over REST, the wall time of that request and the process's peak RSS.
 */
import { postJson, startServer } from './server-process.js';

export interface Step {
  ms: number;
  peakRssBytes: number;
  json: Record<string, unknown>;
}

async function timedCall(
  env: Record<string, string>,
  home: string,
  path: string,
  body: Record<string, unknown>,
): Promise<Step & { status: number }> {
  const server = await startServer(env, home);
  try {
    const started = performance.now();
    const res = await postJson(`${server.url}${path}`, server.token, { timeout: '6h', ...body });
    const ms = performance.now() - started;
    return { ms, peakRssBytes: await server.peakRss(), json: res.json, status: res.status };
  } finally {
    await server.stop();
  }
}

/** Imports from `source` (e.g. `{data_orgs_local: {path}}`); any HTTP failure or per-item error throws. */
export async function importFrom(env: Record<string, string>, home: string, source: Record<string, unknown>): Promise<Step> {
  const step = await timedCall(env, home, '/admin/v1/import', source);
  const errors = (step.json.errors as unknown[] | undefined) ?? [];
  if (step.status !== 200 || errors.length > 0) {
    throw new Error(`import: HTTP ${step.status}, ${errors.length} item errors: ${JSON.stringify(step.json).slice(0, 600)}`);
  }
  return step;
}

/** Exports every org with passwords and OTP secrets to `output` (e.g. `{local_output: {path}}`). */
export async function exportTo(env: Record<string, string>, home: string, output: Record<string, unknown>): Promise<Step> {
  const step = await timedCall(env, home, '/admin/v1/export', { with_passwords: true, with_otp: true, ...output });
  if (step.status !== 200) throw new Error(`export: HTTP ${step.status}: ${JSON.stringify(step.json).slice(0, 600)}`);
  return step;
}

/** A job's end as GetJob shows it (proto-JSON). */
interface JobView {
  state: string;
  error?: string;
  createdAt: string;
  finishedAt?: string;
  progress?: { resources?: { type: string; counts: Record<string, string> }[] };
}

/** GetJob is polled this often: the end is seen within it (the job's own times are exact). */
const POLL_MS = 50;

/**
 * The same import as a migration job (`POST /idport/v1/jobs/import`), followed with GetJob
 * until it ends. `ms` is the job's own created → finished time (queueing, every org's
 * checkpoint and the report rows included), the figure comparable to a direct import's request
 * time; `wallMs` is what the caller saw, polling included. Fails unless SUCCEEDED with `rows`
 * resources created.
 */
export async function importJob(
  env: Record<string, string>,
  home: string,
  source: Record<string, unknown>,
  rows: number,
): Promise<Step & { wallMs: number }> {
  const server = await startServer(env, home);
  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.token}` } });
    return (await res.json()) as Record<string, unknown>;
  };
  try {
    const started = performance.now();
    const res = await postJson(`${server.url}/idport/v1/jobs/import`, server.token, { request: { timeout: '6h', ...source } });
    const id = (res.json.job as { id?: string } | undefined)?.id;
    if (res.status !== 200 || !id) throw new Error(`StartImport: HTTP ${res.status}: ${JSON.stringify(res.json).slice(0, 600)}`);
    let job: JobView;
    for (;;) {
      job = (await get(`/idport/v1/jobs/${id}`)).job as JobView;
      if (!['JOB_STATE_QUEUED', 'JOB_STATE_RUNNING'].includes(job.state)) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const wallMs = performance.now() - started;
    if (job.state !== 'JOB_STATE_SUCCEEDED') throw new Error(`import job ${id}: ${job.state} ${job.error ?? ''}`);
    const created = (job.progress?.resources ?? []).reduce((n, r) => n + Number(r.counts.created ?? 0), 0);
    if (created !== rows) throw new Error(`import job ${id}: ${created} resources created, ${rows} expected`);
    const ms = Date.parse(job.finishedAt ?? '') - Date.parse(job.createdAt);
    return { ms, wallMs: Math.round(wallMs), peakRssBytes: await server.peakRss(), json: job as unknown as Record<string, unknown> };
  } finally {
    await server.stop();
  }
}
