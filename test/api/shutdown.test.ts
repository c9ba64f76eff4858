/**
 * Graceful shutdown (the SIGTERM path, `App.shutdown`): a call in flight finishes inside the
 * grace period; past it the call is cancelled and its import rolls back. Each case restarts on
 * the same database to see what was kept. The gate is the server's own in-flight count
 * (`idport_calls_in_flight` on /metrics), never a sleep.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { bigOrg, exportRest, postJson } from '../support/export-helpers.js';

let database: TestDatabase;
let dir: string;

beforeEach(async () => {
  database = await createTestDatabase({ onDisk: true });
  dir = await mkdtemp(join(tmpdir(), 'idport-shutdown-'));
});
afterEach(async () => {
  await database.drop();
  await rm(dir, { recursive: true, force: true });
});

/** The first app's token, kept where its restart finds it (the first app's temp dir goes on close). */
async function keepToken(app: TestApp): Promise<string> {
  const file = join(dir, 'admin.pat');
  await writeFile(file, app.token);
  return file;
}

async function inFlight(app: TestApp): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  return Number(/^idport_calls_in_flight (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** Resolves once the server is serving at least one call (the import we started). */
async function untilServing(app: TestApp): Promise<void> {
  while ((await inFlight(app)) < 1) await new Promise((resolve) => setImmediate(resolve));
}

async function usersAfterRestart(tokenFile: string, orgId: string): Promise<number> {
  const app = await startTestApp({ database: database.config, adminTokenFile: tokenFile });
  try {
    const res = await exportRest(app, { org_ids: [], response_output: true, timeout: '1m' });
    const org = ((res.json.orgs ?? []) as JsonObject[]).find((o) => o.orgId === orgId);
    return ((org?.humanUsers ?? []) as unknown[]).length;
  } finally {
    await app.close();
  }
}

const USERS = 3000;

test('within the grace period the import in flight finishes, then the server stops', async () => {
  const app = await startTestApp({ database: database.config, shutdownGraceMs: 10 * 60_000 });
  const tokenFile = await keepToken(app);
  const importing = postJson(app, '/admin/v1/import', { timeout: '10m', data_orgs: { orgs: [bigOrg('710', USERS)] } });
  await untilServing(app);
  const stopped = app.shutdown();
  const result = await importing;
  expect(result.status).toBe(200);
  expect(result.json.errors ?? []).toEqual([]);
  await expect(stopped).resolves.toEqual({ cancelled: 0 });
  // New connections are refused once draining began.
  await expect(fetch(`${app.url}/healthz`)).rejects.toThrow();
  await app.close();
  expect(await usersAfterRestart(tokenFile, '710')).toBe(USERS);
});

test('past the grace period the import is cancelled and leaves nothing half-written', async () => {
  const app = await startTestApp({ database: database.config, shutdownGraceMs: 0 });
  const tokenFile = await keepToken(app);
  const importing = postJson(app, '/admin/v1/import', { timeout: '10m', data_orgs: { orgs: [bigOrg('720', USERS)] } }).then(
    (r) => r,
    (e: unknown) => e,
  );
  await untilServing(app);
  await expect(app.shutdown()).resolves.toEqual({ cancelled: 1 });
  // The client's connection was cut: fetch fails (no answer at all) rather than getting a success.
  const outcome = await importing;
  expect(String(outcome)).toMatch(/fetch failed/);
  await app.close();
  // The org's first pass is one transaction: it rolled back whole (a commit that won the race
  // would show every user, never a part).
  expect([0, USERS]).toContain(await usersAfterRestart(tokenFile, '720'));
});
