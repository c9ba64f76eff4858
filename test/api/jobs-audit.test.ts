import type { JsonObject } from '@bufbuild/protobuf';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { dataOrg, humanUser } from '../support/import-data.js';
import { ndjson, reportRows, restJson, startImportJob, watchToEnd } from '../support/jobs.js';

// The audit trail through the API: every row of an import job's report has one event with the
// same outcome and digests of the content before and after; administrative acts (PATs, users,
// members, exports) leave one event each, naming who did them; the trail exports as NDJSON.

let app: TestApp;
let adminId: string;
beforeAll(async () => {
  app = await startTestApp();
  const job = await startImportJob(app.url, app.token, []);
  adminId = String(job.principal);
  await watchToEnd(app.url, app.token, String(job.id));
});
afterAll(async () => {
  await app.close();
});

async function events(query: string): Promise<JsonObject[]> {
  const out: JsonObject[] = [];
  let token = '';
  do {
    const page = await restJson(app.url, app.token, 'GET', `/idport/v1/audit?${query}&page_size=2&page_token=${token}`);
    expect(page.status).toBe(200);
    out.push(...((page.json.events as JsonObject[] | undefined) ?? []));
    token = String(page.json.nextPageToken ?? '');
  } while (token);
  return out;
}

async function runJob(orgs: JsonObject[], options: JsonObject = {}) {
  const job = await startImportJob(app.url, app.token, orgs, options);
  expect((await watchToEnd(app.url, app.token, String(job.id))).at(-1)?.state).toBe('JOB_STATE_SUCCEEDED');
  const { rows } = await reportRows(app.url, app.token, String(job.id));
  const trail = await events(`job_id=${job.id}`);
  // One event per report row, with its outcome.
  expect(trail.map((e) => [e.kind, e.orgId, e.resourceId, String(e.outcome).replace('AUDIT_OUTCOME_', '')])).toEqual(
    rows.map((r) => [r.type, r.orgId, r.id, String(r.outcome).replace('OUTCOME_', '')]),
  );
  for (const e of trail) expect(e).toMatchObject({ principal: adminId, source: 'inline:1 orgs' });
  return new Map(trail.map((e) => [`${e.kind}:${e.resourceId}`, e]));
}

const HEX = /^[0-9a-f]{64}$/;

test('every outcome of an import job has its event, with digests of the content before and after', async () => {
  const org = (users: JsonObject[]) => [dataOrg('au-org', 'audit org', { humanUsers: users })];
  const first = await runJob(org([humanUser('au-1', 'au-one'), humanUser('au-2', 'au-two')]));
  const created = first.get('human_user:au-1') as JsonObject;
  expect(created).toMatchObject({ outcome: 'AUDIT_OUTCOME_CREATED', digestAfter: expect.stringMatching(HEX) });
  expect(created.digestBefore).toBeUndefined();

  const renamed = humanUser('au-2', 'au-two', { profile: { firstName: 'Renamed', lastName: 'User' } });
  const second = await runJob(org([humanUser('au-1', 'au-one'), renamed, humanUser('au-3', '')]), {
    conflictPolicy: 'CONFLICT_POLICY_OVERWRITE',
  });
  const unchanged = second.get('human_user:au-1') as JsonObject;
  expect(unchanged.outcome).toBe('AUDIT_OUTCOME_UNCHANGED');
  expect(unchanged.digestBefore).toBe(created.digestAfter);
  expect(unchanged.digestAfter).toBe(created.digestAfter);
  const updated = second.get('human_user:au-2') as JsonObject;
  expect(updated.outcome).toBe('AUDIT_OUTCOME_UPDATED');
  expect(updated.digestBefore).toBe((first.get('human_user:au-2') as JsonObject).digestAfter);
  expect(updated.digestAfter).toMatch(HEX);
  expect(updated.digestAfter).not.toBe(updated.digestBefore);
  const failed = second.get('human_user:au-3') as JsonObject;
  expect(failed).toMatchObject({ outcome: 'AUDIT_OUTCOME_FAILED', detail: expect.any(String) });
  expect(failed.digestAfter).toBeUndefined();

  const third = await runJob(org([humanUser('au-2', 'au-two', { profile: { firstName: 'Again', lastName: 'User' } })]), {
    conflictPolicy: 'CONFLICT_POLICY_SKIP',
  });
  const skipped = third.get('human_user:au-2') as JsonObject;
  expect(skipped.outcome).toBe('AUDIT_OUTCOME_SKIPPED');
  expect(skipped.digestBefore).toBe(updated.digestAfter);
  expect(skipped.digestAfter).toBe(updated.digestAfter);
});

test('administrative acts leave one event each, naming who acted', async () => {
  const before = new Date().toISOString();
  const user = await restJson(app.url, app.token, 'POST', '/management/v1/users/machine', {
    userId: 'au-m',
    userName: 'au-machine',
    name: 'audit machine',
  });
  expect(user.status).toBe(200);
  const pat = await restJson(app.url, app.token, 'POST', '/management/v1/users/au-m/pats', { expirationDate: '2099-01-01T00:00:00Z' });
  const tokenId = String(pat.json.tokenId);
  expect((await restJson(app.url, app.token, 'POST', '/admin/v1/members', { userId: 'au-m', roles: ['IAM_OWNER_VIEWER'] })).status).toBe(
    200,
  );
  expect((await restJson(app.url, app.token, 'DELETE', `/management/v1/users/au-m/pats/${tokenId}`)).status).toBe(200);
  expect((await restJson(app.url, app.token, 'DELETE', '/management/v1/users/au-m')).status).toBe(200);
  const exported = await restJson(app.url, app.token, 'POST', '/admin/v1/export', {
    orgIds: ['au-org'],
    responseOutput: true,
    localOutput: { path: 'au.json' },
  });
  expect(exported.status).toBe(200);

  const acts = await events(`from=${before}`);
  expect(acts.map((e) => [e.kind, e.resourceId ?? '', e.principal])).toEqual([
    ['pat.added', tokenId, adminId],
    ['iam_member.added', 'au-m', adminId],
    ['pat.removed', tokenId, adminId],
    ['user.removed', 'au-m', adminId],
    ['export', '', adminId],
  ]);
  for (const e of acts) expect(e.outcome).toBe('AUDIT_OUTCOME_DONE');
  expect(JSON.parse(String(acts[4]?.detail))).toEqual({
    orgIds: ['au-org'],
    excludedOrgIds: [],
    withPasswords: false,
    withOtp: false,
    outputs: ['response', 'local:au.json'],
    orgCount: 1,
  });
  // Filters: by kind and by resource id.
  expect((await events('kind=user.removed')).map((e) => e.resourceId)).toEqual(['au-m']);
  expect((await events(`resource_id=${tokenId}`)).map((e) => e.kind)).toEqual(['pat.added', 'pat.removed']);
});

test('the trail exports as NDJSON, one event per line, oldest first', async () => {
  const all = await events('kind=human_user');
  const exported = await ndjson(app.url, app.token, '/idport/v1/audit:export?kind=human_user');
  expect(exported.status).toBe(200);
  expect(exported.contentType).toBe('application/x-ndjson');
  expect(exported.lines.map((l) => (l.result as JsonObject).event)).toEqual(all);
});

test('every kind of resource gets its digests: created ones a digest after, an unchanged re-run the same before and after', async () => {
  const orgs = seededOrgs('77') as unknown as JsonObject[];
  const kinds = async () => {
    const job = await startImportJob(app.url, app.token, orgs);
    expect((await watchToEnd(app.url, app.token, String(job.id))).at(-1)?.state).toBe('JOB_STATE_SUCCEEDED');
    return events(`job_id=${job.id}`);
  };
  const created = await kinds();
  expect(new Set(created.map((e) => e.kind)).size).toBeGreaterThan(20);
  const undigested = created.filter((e) => e.outcome === 'AUDIT_OUTCOME_CREATED' && !HEX.test(String(e.digestAfter)));
  expect(undigested.map((e) => `${e.kind}:${e.resourceId}`)).toEqual([]);
  const after = new Map(created.map((e) => [`${e.kind}:${e.resourceId}`, e.digestAfter]));
  const again = await kinds();
  for (const e of again) {
    expect(e).toMatchObject({ outcome: 'AUDIT_OUTCOME_UNCHANGED' });
    expect([e.kind, e.digestBefore, e.digestAfter]).toEqual([
      e.kind,
      after.get(`${e.kind}:${e.resourceId}`),
      after.get(`${e.kind}:${e.resourceId}`),
    ]);
  }
});
