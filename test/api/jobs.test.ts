import type { JsonObject } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { Metadata } from '@grpc/grpc-js';
import { JobService, JobState, type WatchJobResponse } from '../../gen/idport/v1/jobs_pb.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createGrpcClient } from '../support/grpc-client.js';
import { bulkOrgs } from '../support/import-data.js';
import { ndjson, reportRows, restJson, startImportJob, waitForJob, watchToEnd } from '../support/jobs.js';

// idport.v1.JobService on the real server: an import started with one REST call runs in the
// background, is watched to its end on every protocol, reports what a direct import reports,
// and can be cancelled mid-way with the org it was writing rolled back.

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

test('an import job started over REST is watched (NDJSON) to SUCCEEDED, and its report is the direct import’s', async () => {
  const orgs = bulkOrgs('jw', 3, 5);
  const job = await startImportJob(app.url, app.token, orgs);
  expect(job.state).toBe('JOB_STATE_QUEUED');
  expect(job.source).toBe('inline:3 orgs');

  const watched = await ndjson(app.url, app.token, `/idport/v1/jobs/${job.id}:watch`);
  expect(watched.status).toBe(200);
  expect(watched.contentType).toBe('application/x-ndjson');
  const events = watched.lines.map((l) => (l.result as JsonObject).job as JsonObject);
  const last = events.at(-1) as JsonObject;
  expect(last.state).toBe('JOB_STATE_SUCCEEDED');
  expect(last.progress).toMatchObject({ orgsDone: 3, orgsTotal: 3, pass: 3 });
  const counts = (last.progress as { resources: { type: string; counts: JsonObject }[] }).resources;
  expect(counts).toEqual(
    expect.arrayContaining([
      { type: 'human_user', counts: { created: '15' } },
      { type: 'org', counts: { created: '3' } },
    ]),
  );

  const { rows, last: final } = await reportRows(app.url, app.token, String(job.id));
  // The same data imported directly again answers unchanged for every row the job created.
  const direct = await restJson(app.url, app.token, 'POST', '/idport/v1/import', { request: { timeout: '1m', dataOrgs: { orgs } } });
  const directRows = direct.json.results as JsonObject[];
  expect(rows.map((r) => [r.orgId, r.type, r.id])).toEqual(directRows.map((r) => [r.orgId, r.type, r.id]));
  expect(new Set(rows.map((r) => r.outcome))).toEqual(new Set(['OUTCOME_CREATED']));
  expect(new Set(directRows.map((r) => r.outcome))).toEqual(new Set(['OUTCOME_UNCHANGED']));
  expect(final.counts).toEqual({ created: String(rows.length) });
  expect((final.response as JsonObject).success).toBeDefined();
});

test('WatchJob over gRPC, gRPC-Web and Connect streams the job until it ends', async () => {
  const job = await startImportJob(app.url, app.token, bulkOrgs('jp', 2, 3));
  const grpc = createGrpcClient(JobService, `127.0.0.1:${app.port}`);
  const session = new Http2SessionManager(app.url);
  const connect = createClient(JobService, createConnectTransport({ baseUrl: app.url, httpVersion: '2', sessionManager: session }));
  const web = createClient(JobService, createGrpcWebTransport({ baseUrl: app.url, httpVersion: '1.1' }));
  try {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${app.token}`);
    const headers = { authorization: `Bearer ${app.token}` };
    const states = async (stream: AsyncIterable<WatchJobResponse>) => {
      const seen: JobState[] = [];
      for await (const m of stream) seen.push(m.job?.state ?? JobState.UNSPECIFIED);
      return seen;
    };
    for (const seen of [
      await states(grpc.watchJob({ jobId: String(job.id) }, { metadata })),
      await states(connect.watchJob({ jobId: String(job.id) }, { headers })),
      await states(web.watchJob({ jobId: String(job.id) }, { headers })),
    ]) {
      expect(seen.at(-1)).toBe(JobState.SUCCEEDED);
      expect(seen.slice(0, -1).every((s) => s === JobState.QUEUED || s === JobState.RUNNING)).toBe(true);
    }
  } finally {
    grpc.close();
    session.abort();
  }
});

test('a cancelled job stops at its next checkpoint: CANCELLED, and only committed orgs are in the database', async () => {
  const orgs = bulkOrgs('jc', 40, 200);
  const job = await startImportJob(app.url, app.token, orgs);
  await waitForJob(app.url, app.token, String(job.id), (j) => Number((j.progress as JsonObject | undefined)?.orgsDone ?? 0) >= 1);
  const cancelled = await restJson(app.url, app.token, 'POST', `/idport/v1/jobs/${job.id}:cancel`, {});
  expect(cancelled.status).toBe(200);
  const events = await watchToEnd(app.url, app.token, String(job.id));
  expect(events.at(-1)?.state).toBe('JOB_STATE_CANCELLED');

  const { rows } = await reportRows(app.url, app.token, String(job.id));
  const reportedOrgs = new Set(rows.filter((r) => r.type === 'org').map((r) => r.orgId));
  expect(reportedOrgs.size).toBeGreaterThanOrEqual(1);
  expect(reportedOrgs.size).toBeLessThan(orgs.length);
  // Every org the report holds is in the database, whole; no other org of the job is.
  const exported = await restJson(app.url, app.token, 'POST', '/admin/v1/export', { timeout: '1m', responseOutput: true });
  const inDb = ((exported.json.orgs as JsonObject[] | undefined) ?? []).filter((o) => String(o.orgId).startsWith('jc-'));
  expect(new Set(inDb.map((o) => o.orgId))).toEqual(reportedOrgs);
  for (const o of inDb) expect((o.humanUsers as unknown[]).length).toBe(200);

  const again = await restJson(app.url, app.token, 'POST', `/idport/v1/jobs/${job.id}:cancel`, {});
  expect(again.status).toBe(400);
  expect(again.json.code).toBe(9);
});

test('an export job writes to a local file; a response output is INVALID_ARGUMENT', async () => {
  const refused = await restJson(app.url, app.token, 'POST', '/idport/v1/jobs/export', { request: { responseOutput: true } });
  expect(refused.status).toBe(400);
  expect(refused.json.code).toBe(3);

  const started = await restJson(app.url, app.token, 'POST', '/idport/v1/jobs/export', {
    request: { timeout: '1m', localOutput: { path: 'job-export.json' } },
  });
  expect(started.status).toBe(200);
  const job = started.json.job as JsonObject;
  expect(job.target).toBe('local:job-export.json');
  const events = await watchToEnd(app.url, app.token, String(job.id));
  expect(events.at(-1)).toMatchObject({ state: 'JOB_STATE_SUCCEEDED' });
  expect(Number(((events.at(-1) as JsonObject).progress as JsonObject).bytes)).toBeGreaterThan(0);
});

test('ListJobs filters by state and pages; GetJob of an unknown id is NOT_FOUND', async () => {
  const page = await restJson(app.url, app.token, 'GET', '/idport/v1/jobs?state=JOB_STATE_SUCCEEDED&page_size=1');
  expect((page.json.jobs as JsonObject[]).length).toBe(1);
  expect((page.json.jobs as JsonObject[])[0]?.state).toBe('JOB_STATE_SUCCEEDED');
  const next = await restJson(
    app.url,
    app.token,
    'GET',
    `/idport/v1/jobs?state=JOB_STATE_SUCCEEDED&page_size=1&page_token=${page.json.nextPageToken}`,
  );
  expect((next.json.jobs as JsonObject[])[0]?.id).not.toBe((page.json.jobs as JsonObject[])[0]?.id);
  const missing = await restJson(app.url, app.token, 'GET', '/idport/v1/jobs/no-such-job');
  expect(missing.status).toBe(404);
  // /metrics counts the jobs the database holds, by state.
  const metrics = await (await fetch(`${app.url}/metrics`)).text();
  expect(Number(/^idport_jobs\{state="succeeded"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);
  expect(Number(/^idport_jobs\{state="cancelled"\} (\d+)$/m.exec(metrics)?.[1])).toBe(1);
});

test("a job's own timeout ends it FAILED, with nothing of the org it was writing kept", async () => {
  const res = await restJson(app.url, app.token, 'POST', '/idport/v1/jobs/import', {
    request: { timeout: '1ns', dataOrgs: { orgs: bulkOrgs('jt', 1, 3) } },
  });
  expect(res.status).toBe(200);
  const events = await watchToEnd(app.url, app.token, String((res.json.job as JsonObject).id));
  expect(events.at(-1)).toMatchObject({ state: 'JOB_STATE_FAILED', error: "the job's timeout was exceeded" });
  const exported = await restJson(app.url, app.token, 'POST', '/admin/v1/export', {
    timeout: '1m',
    orgIds: ['jt-o0000'],
    responseOutput: true,
  });
  expect(exported.json.orgs ?? []).toEqual([]);
});

test('a REST watch whose client goes away ends on the server: no call left in flight while the job runs on', async () => {
  const inFlight = async () =>
    Number(/^idport_calls_in_flight (\d+)$/m.exec(await (await fetch(`${app.url}/metrics`)).text())?.[1] ?? Number.NaN);
  expect(await inFlight()).toBe(0);
  const job = await startImportJob(app.url, app.token, bulkOrgs('jd', 30, 200));
  const controller = new AbortController();
  const res = await fetch(`${app.url}/idport/v1/jobs/${job.id}:watch`, {
    headers: { authorization: `Bearer ${app.token}` },
    signal: controller.signal,
  });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  expect(new TextDecoder().decode((await reader.read()).value)).toContain('"result"');
  expect(await inFlight()).toBe(1);
  controller.abort();
  const until = Date.now() + 10_000;
  while ((await inFlight()) !== 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  expect(await inFlight()).toBe(0);
  // The watch ended with its client, not with the job.
  const { json } = await restJson(app.url, app.token, 'GET', `/idport/v1/jobs/${job.id}`);
  expect(['JOB_STATE_QUEUED', 'JOB_STATE_RUNNING']).toContain((json.job as JsonObject).state);
  expect((await watchToEnd(app.url, app.token, String(job.id))).at(-1)?.state).toBe('JOB_STATE_SUCCEEDED');
}, 120_000);
