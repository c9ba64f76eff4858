import type { JsonObject } from '@bufbuild/protobuf';
import { startTestApp, type TestApp } from '../support/app.js';
import { bulkOrgs } from '../support/import-data.js';
import { restJson, watchToEnd } from '../support/jobs.js';

// idport's wrapped requests (StartImport, StartExport, MigrationService.ImportData) also take
// ZITADEL's own ImportDataRequest / ExportDataRequest posted as the whole JSON body, as a caller
// used to `/admin/v1/import` and `/admin/v1/export` sends it, over REST and Connect JSON alike.

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

async function connectJson(method: string, body: unknown) {
  const res = await fetch(`${app.url}/idport.v1.JobService/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as JsonObject };
}

test('StartImport with a flat ZITADEL body (REST camelCase, Connect snake_case) runs the import, options beside it', async () => {
  const rest = await restJson(app.url, app.token, 'POST', '/idport/v1/jobs/import', {
    timeout: '10m',
    dataOrgs: { orgs: bulkOrgs('fr', 2, 2) },
    options: { conflictPolicy: 'CONFLICT_POLICY_SKIP' },
  });
  expect(rest.status).toBe(200);
  const connect = await connectJson('StartImport', { timeout: '10m', data_orgs: { orgs: bulkOrgs('fc', 1, 2) } });
  expect(connect.status).toBe(200);
  for (const job of [rest.json.job, connect.json.job] as JsonObject[]) {
    const events = await watchToEnd(app.url, app.token, String(job.id));
    expect(events.at(-1)).toMatchObject({ state: 'JOB_STATE_SUCCEEDED' });
  }
  expect((rest.json.job as JsonObject).source).toBe('inline:2 orgs');
});

test('the wrapped form still works, and a body with none of ZITADEL’s fields is refused as before', async () => {
  const wrapped = await restJson(app.url, app.token, 'POST', '/idport/v1/jobs/import', {
    request: { timeout: '10m', dataOrgs: { orgs: bulkOrgs('fw', 1, 1) } },
  });
  expect(wrapped.status).toBe(200);
  const nothing = await restJson(app.url, app.token, 'POST', '/idport/v1/jobs/import', { notAField: 1 });
  expect(nothing.status).toBe(400);
  expect(nothing.json).toMatchObject({ code: 3, details: [expect.objectContaining({ id: 'IMPORT-no-data' })] });
});

test('StartExport with a flat ExportDataRequest; a flat response output is INVALID_ARGUMENT', async () => {
  const refused = await restJson(app.url, app.token, 'POST', '/idport/v1/jobs/export', { response_output: true });
  expect(refused.status).toBe(400);
  expect(refused.json.code).toBe(3);
  const started = await restJson(app.url, app.token, 'POST', '/idport/v1/jobs/export', {
    timeout: '1m',
    local_output: { path: 'flat-export.json' },
  });
  expect(started.status).toBe(200);
  expect((started.json.job as JsonObject).target).toBe('local:flat-export.json');
  const events = await watchToEnd(app.url, app.token, String((started.json.job as JsonObject).id));
  expect(events.at(-1)).toMatchObject({ state: 'JOB_STATE_SUCCEEDED' });
});

test('MigrationService.ImportData with a flat body answers every resource’s outcome', async () => {
  const orgs = bulkOrgs('fm', 1, 2);
  const res = await restJson(app.url, app.token, 'POST', '/idport/v1/import', { timeout: '1m', dataOrgs: { orgs } });
  expect(res.status).toBe(200);
  const results = res.json.results as JsonObject[];
  expect(results.filter((r) => r.type === 'human_user')).toHaveLength(2);
  expect(new Set(results.map((r) => r.outcome))).toEqual(new Set(['OUTCOME_CREATED']));
});
