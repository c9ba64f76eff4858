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
