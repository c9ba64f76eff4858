/** /metrics in Prometheus text format: calls, latency, rows and bytes per kind, jobs, pool, process. */
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { exportRest, postJson } from '../support/export-helpers.js';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

async function scrape(): Promise<{ type: string | null; value(series: string): number | undefined; text: string }> {
  const res = await fetch(`${app.url}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return {
    type: res.headers.get('content-type'),
    text,
    value: (series) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    },
  };
}

test('imports count committed rows and bytes per kind; a dry run counts nothing', async () => {
  const dry = await fetch(`${app.url}/admin/v1/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json', 'x-idport-dry-run': 'true' },
    body: JSON.stringify({ timeout: '1m', data_orgs: { orgs: seededOrgs('1') } }),
  });
  expect(dry.status).toBe(200);
  expect((await scrape()).value('idport_resources_total{direction="import",kind="human_user"}')).toBeUndefined();

  const res = await postJson(app, '/admin/v1/import', { timeout: '1m', data_orgs: { orgs: seededOrgs('1') } });
  expect(res.status).toBe(200);
  const m = await scrape();
  const humans = (seededOrgs('1') as { humanUsers?: unknown[] }[]).reduce((n, o) => n + (o.humanUsers?.length ?? 0), 0);
  expect(m.value('idport_resources_total{direction="import",kind="human_user"}')).toBe(humans);
  expect(m.value('idport_resource_bytes_total{direction="import",kind="human_user"}')).toBeGreaterThan(humans * 50);
  expect(m.value('idport_resources_total{direction="import",kind="project"}')).toBeGreaterThan(0);
});

test('exports count rows read per kind; calls are counted by method, protocol and code with latency', async () => {
  const res = await exportRest(app, { org_ids: [], response_output: true, timeout: '1m' });
  expect(res.status).toBe(200);
  await fetch(`${app.url}/zitadel.admin.v1.AdminService/ListOrgs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  const m = await scrape();
  expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(m.value('idport_resources_total{direction="export",kind="human_user"}')).toBeGreaterThan(0);
  const exportCall = 'method="zitadel.admin.v1.AdminService/ExportData",protocol="rest",code="ok"';
  expect(m.value(`idport_calls_total{${exportCall}}`)).toBe(1);
  expect(m.value(`idport_call_duration_seconds_count{${exportCall}}`)).toBe(1);
  expect(m.value(`idport_call_duration_seconds_bucket{le="+Inf",${exportCall}}`)).toBe(1);
  expect(m.value('idport_calls_total{method="zitadel.admin.v1.AdminService/ListOrgs",protocol="connect",code="unauthenticated"}')).toBe(1);
});

test('jobs by state (none yet), database pool and process metrics are there', async () => {
  const m = await scrape();
  for (const state of ['queued', 'running', 'succeeded', 'failed', 'cancelled']) expect(m.value(`idport_jobs{state="${state}"}`)).toBe(0);
  expect(m.value('idport_db_pool_connections{state="max"}')).toBeGreaterThanOrEqual(1);
  expect(m.value('idport_db_pool_connections{state="waiting"}')).toBe(0);
  expect(m.value('idport_calls_in_flight')).toBe(0);
  expect(m.value('process_cpu_seconds_total')).toBeGreaterThan(0);
  expect(m.value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
});
