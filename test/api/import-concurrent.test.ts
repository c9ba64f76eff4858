/**
 * Concurrent identical imports (issue 8): they take turns per org (an advisory lock held by
 * each org's transaction), so every later one sees what the earlier committed. No call reports
 * a resource FAILED or SKIPPED, every resource is CREATED by exactly one call and UNCHANGED in
 * all the others, and the data ends complete, without duplicates.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { MigrationService } from '../../gen/idport/v1/migration_pb.js';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { expectOk, exportOrgs } from '../support/import-client.js';
import { type Caller, createCaller } from '../support/protocols.js';

let app: TestApp;
const callers: Caller[] = [];

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  for (const c of callers) c.close();
  await app?.close();
});

test.each([2, 6])('%i identical imports at once: one creates each resource, the others find it unchanged', async (n) => {
  const fixture = seededOrgs(`-cc${n}`);
  const orgIds = fixture.map((o) => o.orgId);
  const request = { request: { dataOrgs: { orgs: fixture as unknown as JsonObject[] } } };
  const clients = Array.from({ length: n }, (_, i) => createCaller(i % 2 ? 'grpc' : 'connect-json', app.url));
  callers.push(...clients);

  const reports = await Promise.all(
    clients.map(async (c) => expectOk(await c.call(MigrationService.method.importData, request, { token: app.token }))),
  );

  const outcomes = new Map<string, string[]>();
  for (const report of reports) {
    for (const r of (report.results ?? []) as JsonObject[]) {
      const key = `${r.orgId} ${r.type} ${r.id}`;
      outcomes.set(key, [...(outcomes.get(key) ?? []), String(r.outcome)]);
    }
  }
  expect(outcomes.size).toBeGreaterThan(40);
  const wrong = [...outcomes].filter(
    ([, list]) =>
      list.length !== n ||
      list.filter((o) => o === 'OUTCOME_CREATED').length !== 1 ||
      list.some((o) => !['OUTCOME_CREATED', 'OUTCOME_UNCHANGED'].includes(o)),
  );
  expect(wrong).toEqual([]);
  expect(await exportOrgs(clients[0] as Caller, app.token, orgIds)).toEqual(fixture);
});
