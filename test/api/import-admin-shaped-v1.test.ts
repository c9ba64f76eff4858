import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { postJson, seed } from '../support/export-helpers.js';

// The migration guide pastes an ExportData response (admin.v1 DataOrgs) into `data_orgsv1`.
// Read as v1 it would lose the admin-only fields; both JSON paths read it as admin instead.
let source: TestApp;
let target: TestApp;
const fixture = seededOrgs('-as');
const orgIds = fixture.map((o) => o.orgId);

beforeAll(async () => {
  [source, target] = await Promise.all([startTestApp(), startTestApp()]);
  await seed(source, fixture);
});
afterAll(() => Promise.all([source.close(), target.close()]));

const exportFrom = async (app: TestApp) =>
  (await postJson(app, '/admin/v1/export', { org_ids: orgIds, with_passwords: true, with_otp: true, response_output: true })).json;

test.each([
  ['REST', '/admin/v1/import'],
  ['Connect JSON', '/zitadel.admin.v1.AdminService/ImportData'],
])('over %s, nothing admin-only is lost', async (_protocol, path) => {
  const exported = await exportFrom(source);
  expect(JSON.stringify(exported)).toContain('verifySmsOtpMessages');

  const imported = await postJson(target, path, { timeout: '1m', data_orgsv1: exported });
  expect({ status: imported.status, text: imported.status === 200 ? '' : imported.text }).toEqual({ status: 200, text: '' });
  expect(imported.json.errors ?? []).toEqual([]);
  expect(await exportFrom(target)).toEqual(exported);
});

// The same rule on idport's MigrationService, whose request wraps ZITADEL's in `request`.
test.each([
  ['REST', '/idport/v1/import'],
  ['Connect JSON', '/idport.v1.MigrationService/ImportData'],
])('MigrationService over %s reads admin-shaped data_orgsv1 as admin too', async (_protocol, path) => {
  const exported = await exportFrom(source);
  const imported = await postJson(target, path, { request: { timeout: '1m', data_orgsv1: exported } });
  expect({ status: imported.status, text: imported.status === 200 ? '' : imported.text }).toEqual({ status: 200, text: '' });
  const outcomes = new Set(((imported.json.results ?? []) as { outcome?: string }[]).map((r) => r.outcome));
  expect([...outcomes]).toEqual(['OUTCOME_UNCHANGED']);
  expect(await exportFrom(target)).toEqual(exported);
});
