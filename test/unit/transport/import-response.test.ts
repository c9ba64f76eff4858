import { create, equals, fromJson, type JsonObject as PbJsonObject, toBinary, toJsonString } from '@bufbuild/protobuf';
import { ImportDataResponseSchema as DetailedSchema } from '../../../gen/idport/v1/migration_pb.js';
import {
  ImportDataErrorSchema,
  type ImportDataResponse,
  ImportDataResponseSchema,
  ImportDataSuccessOrgSchema,
} from '../../../gen/zitadel/admin_pb.js';
import type { ImportReport, ItemResult } from '../../../src/application/import/import-report.js';
import { isSuccess } from '../../../src/application/import/import-report.js';
import { createReportCollector } from '../../../src/application/import/report-collector.js';
import { stringAt } from '../../../src/domain/json.js';
import { importResponse } from '../../../src/transport/admin/import-response.js';
import { protoJsonPieces, utf8Chunks } from '../../../src/transport/codec/proto-json-stream.js';
import { detailedResponse, OUTCOME } from '../../../src/transport/idport/migration.handler.js';

/*
 * The answers as they were built before the report was read row by row (one ItemResult per
 * resource, each org through fromJson): the new builders must give the same bytes and JSON.
 */
const at = (path: string) => (r: ItemResult) => stringAt(r.item, path);
const pick = (fields: Record<string, string>) => (r: ItemResult) =>
  Object.fromEntries(Object.entries(fields).map(([to, from]) => [to, stringAt(r.item, from)]));
const LISTS: Record<string, [string, (r: ItemResult) => string | PbJsonObject]> = {
  project: ['projectIds', at('projectId')],
  project_role: ['projectRoles', (r) => r.id],
  oidc_app: ['oidcAppIds', at('appId')],
  api_app: ['apiAppIds', at('appId')],
  human_user: ['humanUserIds', at('userId')],
  machine_user: ['machineUserIds', at('userId')],
  action: ['actionIds', at('actionId')],
  trigger_action: ['triggerActions', (r) => r.item as PbJsonObject],
  project_grant: ['projectGrants', pick({ grantId: 'grantId', projectId: 'projectGrant.projectId', orgId: 'projectGrant.grantedOrgId' })],
  user_grant: ['userGrants', pick({ projectId: 'projectId', userId: 'userId' })],
  org_member: ['orgMembers', at('userId')],
  project_member: ['projectMembers', pick({ projectId: 'projectId', userId: 'userId' })],
  project_grant_member: ['projectGrantMembers', pick({ projectId: 'projectId', grantId: 'grantId', userId: 'userId' })],
  oidc_idp: ['oidcIpds', at('idpId')],
  jwt_idp: ['jwtIdps', at('idpId')],
  user_link: ['userLinks', pick({ userId: 'userId', externalUserId: 'providedUserId', displayName: 'providedUserName', idpId: 'idpId' })],
  user_metadata: ['userMetadata', pick({ userId: 'id', key: 'key' })],
  domain: ['domains', at('domainName')],
  app_key: ['appKeys', at('id')],
  machine_user_key: ['machineKeys', at('keyId')],
};

function referenceResponse(report: ImportReport): ImportDataResponse {
  const orgs = new Map<string, Record<string, (string | PbJsonObject)[]>>();
  const errors = [];
  for (const r of report.each()) {
    if (!isSuccess(r)) {
      const message = r.outcome === 'skipped' ? `skipped: ${r.message ?? ''}` : (r.message ?? 'failed');
      errors.push(create(ImportDataErrorSchema, { type: r.type, id: r.id, message }));
      continue;
    }
    if (!orgs.has(r.orgId)) orgs.set(r.orgId, {});
    const entry = LISTS[r.type];
    if (!entry) continue;
    const lists = orgs.get(r.orgId) as Record<string, (string | PbJsonObject)[]>;
    lists[entry[0]] ??= [];
    lists[entry[0]]?.push(entry[1](r));
  }
  return create(ImportDataResponseSchema, {
    errors,
    success: { orgs: [...orgs].map(([orgId, lists]) => fromJson(ImportDataSuccessOrgSchema, { orgId, ...lists })) },
  });
}

function referenceDetailed(report: ImportReport) {
  const results = [];
  for (const r of report.each())
    results.push({ orgId: r.orgId, type: r.type, id: r.id, outcome: OUTCOME[r.outcome], message: r.message ?? '' });
  const c = report.counts;
  const counts = {
    created: BigInt(c.created),
    unchanged: BigInt(c.unchanged),
    updated: BigInt(c.updated),
    skipped: BigInt(c.skipped),
    failed: BigInt(c.failed),
  };
  return create(DetailedSchema, { response: referenceResponse(report), results, counts, dryRun: report.dryRun });
}

const ok = (orgId: string, type: ItemResult['type'], id: string, item: ItemResult['item'], outcome: ItemResult['outcome'] = 'created') =>
  ({ orgId, type, id, outcome, item }) as ItemResult;

/** Every kind with a success list, in three orgs interleaved, with failures, skips and odd text between the runs. */
function variedReport(): ImportReport {
  const rs: ItemResult[] = [
    ok('o1', 'org', 'o1', { org: { name: 'Ærø' } }),
    ok('o1', 'label_policy', 'o1', {}),
    ok('o1', 'domain', 'o1_a.example', { domainName: 'a.example' }),
    ok('o1', 'oidc_idp', 'i1', { idpId: 'i1' }),
    ok('o1', 'jwt_idp', 'j1', { idpId: 'j1' }),
    ok('o1', 'human_user', 'u1', { userId: 'u1' }),
    {
      orgId: 'o1',
      type: 'human_user',
      id: 'u2',
      outcome: 'failed',
      message: 'bad "quote" \\ and \n newline «ü» 😀',
      item: { userId: 'u2' },
    },
    ok('o1', 'human_user', 'u3', { userId: 'u3' }, 'unchanged'),
    ok('o1', 'human_user', 'u\u2028x', { userId: 'u\u2028x' }),
    ok('o2', 'org', 'o2', { org: { name: '株式会社' } }),
    ok('o2', 'human_user', 'ü4', { userId: 'ü4' }),
    ok('o1', 'machine_user', 'm1', { userId: 'm1' }),
    ok('o1', 'user_metadata', 'u1_k', { id: 'u1', key: 'k' }),
    ok('o1', 'user_metadata', 'u1_', { id: 'u1', key: '' }),
    ok('o1', 'machine_user_key', 'k1', { keyId: 'k1', userId: 'm1' }),
    ok('o1', 'user_link', 'l1', { userId: 'u1', idpId: 'i1', providedUserId: 'ext', providedUserName: '名前' }),
    ok('o1', 'user_link', 'l2', { userId: 'u1', idpId: 'i1' }),
    ok('o1', 'project', 'p1', { projectId: 'p1' }),
    ok('o1', 'oidc_app', 'a1', { appId: 'a1', app: { projectId: 'p1' } }),
    ok('o1', 'api_app', 'a2', { appId: 'a2', app: { projectId: 'p1' } }),
    ok('o1', 'app_key', 'ak1', { id: 'ak1', appId: 'a2' }),
    ok('o1', 'action', 'ac1', { actionId: 'ac1' }),
    ok('o1', 'project_role', 'p1_admin', { projectId: 'p1', roleKey: 'admin' }),
    ok('o1', 'trigger_action', 't1', { flowType: '1', triggerType: '2', actionIds: ['ac1'] }),
    { orgId: 'o1', type: 'project', id: 'p9', outcome: 'skipped', message: 'org o9 was not imported', item: {} },
    { orgId: 'o1', type: 'project', id: 'p8', outcome: 'skipped', item: {} },
    { orgId: 'o1', type: 'project', id: 'p7', outcome: 'failed', item: {} },
    ok('o1', 'project_grant', 'g1', { grantId: 'g1', projectGrant: { projectId: 'p1', grantedOrgId: 'o2' } }),
    ok('o1', 'user_grant', 'o1_p1_u1', { userId: 'u1', projectId: 'p1' }),
    ok('o1', 'user_grant', 'o1_p1_u3', { userId: 'u3', projectId: 'p1', projectGrantId: 'g1' }, 'updated'),
    ok('o2', 'user_grant', 'o2_p1_ü4', { userId: 'ü4', projectId: 'p1' }),
    { orgId: 'o2', type: 'project', id: 'p2', outcome: 'unchanged', message: 'kept the stored one', item: { projectId: 'p2' } },
    ok('o1', 'org_member', 'o1_u1', { userId: 'u1' }),
    ok('o1', 'project_member', 'p1_u1', { projectId: 'p1', userId: 'u1' }),
    ok('o2', 'project_grant_member', 'o2_p1_g1_ü4', { projectId: 'p1', grantId: 'g1', userId: 'ü4' }),
  ];
  const collector = createReportCollector();
  for (const r of rs) collector.add(r);
  return collector.report(false);
}

test('ImportDataResponse is the same as before, in binary and in proto JSON', () => {
  const report = variedReport();
  const now = importResponse(report);
  const before = referenceResponse(report);
  expect(equals(ImportDataResponseSchema, now, before)).toBe(true);
  expect(Buffer.from(toBinary(ImportDataResponseSchema, now))).toEqual(Buffer.from(toBinary(ImportDataResponseSchema, before)));
  expect(toJsonString(ImportDataResponseSchema, now)).toBe(toJsonString(ImportDataResponseSchema, before));
  expect(now.success?.orgs.map((o) => o.orgId)).toEqual(['o1', 'o2']);
});

test("idport's answer with every resource's result is the same as before", () => {
  const report = variedReport();
  const now = detailedResponse(report);
  const before = referenceDetailed(report);
  expect(Buffer.from(toBinary(DetailedSchema, now))).toEqual(Buffer.from(toBinary(DetailedSchema, before)));
  expect(toJsonString(DetailedSchema, now)).toBe(toJsonString(DetailedSchema, before));
});

/** Lists long enough to be read from the report as they are encoded, failures and orgs between their runs. */
function bigReport(): ImportReport {
  const collector = createReportCollector();
  for (const org of ['o1', 'o2']) {
    for (let i = 0; i < 1500; i++) {
      if (i % 400 === 399) collector.add({ orgId: org, type: 'human_user', id: `u${i}`, outcome: 'failed', message: `bad ${i}`, item: {} });
      else collector.add(ok(org, 'human_user', `u${i}`, { userId: `u${i}` }, i % 3 === 0 ? 'unchanged' : 'created'));
    }
  }
  for (let i = 0; i < 1200; i++)
    collector.add(ok('o1', 'user_grant', `o1_p1_u${i}`, { userId: `u${i}`, projectId: i < 600 ? 'p1' : 'p2' }));
  collector.add({
    orgId: 'o1',
    type: 'user_grant',
    id: 'o1_p3_u1',
    outcome: 'unchanged',
    message: 'kept',
    item: { userId: 'u1', projectId: 'p3' },
  });
  for (let i = 0; i < 1200; i++) collector.add(ok('o1', 'user_metadata', `u${i}_k${i % 7}`, { id: `u${i}`, key: `k${i % 7}` }));
  return collector.report(false);
}

test('long lists, read from the report as they are encoded, give the same bytes and JSON as arrays', () => {
  const report = bigReport();
  const now = importResponse(report);
  const before = referenceResponse(report);
  expect(now.success?.orgs[0]?.humanUserIds).toHaveLength(1497);
  expect(Buffer.from(toBinary(ImportDataResponseSchema, now))).toEqual(Buffer.from(toBinary(ImportDataResponseSchema, before)));
  expect(toJsonString(ImportDataResponseSchema, now)).toBe(toJsonString(ImportDataResponseSchema, before));
  // Encoded again, and compared field by field: the lists read again from their first element.
  expect(Buffer.from(toBinary(ImportDataResponseSchema, now))).toEqual(Buffer.from(toBinary(ImportDataResponseSchema, before)));
  expect(equals(ImportDataResponseSchema, now, before)).toBe(true);
  const detailed = detailedResponse(report);
  expect(Buffer.from(toBinary(DetailedSchema, detailed))).toEqual(Buffer.from(toBinary(DetailedSchema, referenceDetailed(report))));
  expect(toJsonString(DetailedSchema, detailed)).toBe(toJsonString(DetailedSchema, referenceDetailed(report)));
});

test('an empty report answers an empty success', () => {
  const report = createReportCollector().report(true);
  expect(toJsonString(ImportDataResponseSchema, importResponse(report))).toBe(
    toJsonString(ImportDataResponseSchema, referenceResponse(report)),
  );
});

/** Results with lone surrogates, which the packed report keeps whole, among packed runs. */
function surrogateReport(): ImportReport {
  const collector = createReportCollector();
  for (let i = 0; i < 1100; i++) collector.add(ok('o\ud800', 'human_user', `u${i}`, { userId: `u${i}` }));
  collector.add(ok('o1', 'human_user', 'u\udc00', { userId: 'u\udc00' }));
  collector.add({ orgId: 'o1', type: 'domain', id: 'd', outcome: 'failed', message: 'lone \ud83d and pair \ud83d\ude00', item: {} });
  collector.add(ok('o1', 'user_metadata', 'u1_\udfff', { id: 'u1', key: '\udfff' }));
  return collector.report(true);
}

test('the streamed proto JSON of both answers is the bytes toJsonString gives (REST and Connect JSON send those)', () => {
  const reports = { varied: variedReport(), big: bigReport(), surrogates: surrogateReport(), empty: createReportCollector().report(false) };
  for (const [name, report] of Object.entries(reports)) {
    const admin = importResponse(report);
    // What connect-es sends today (toJsonString of the same answer; the tests above tie that to the old builders).
    const expected = Buffer.from(toJsonString(ImportDataResponseSchema, admin));
    // In small chunks and pieces, so every long list spans many of them.
    const chunks = [...utf8Chunks(protoJsonPieces(ImportDataResponseSchema, admin, 1024), 4096)];
    expect({ name, bytes: Buffer.concat(chunks) }).toEqual({ name, bytes: expected });
    const detailed = detailedResponse(report);
    const detailedExpected = Buffer.from(toJsonString(DetailedSchema, detailed));
    expect({ name, bytes: Buffer.concat([...utf8Chunks(protoJsonPieces(DetailedSchema, detailed), 4096)]) }).toEqual({
      name,
      bytes: detailedExpected,
    });
    // No piece past its batch (1024 UTF-16 units, at most 3 bytes each) and one short element: a
    // long list (and the org holding it) is never one string.
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(4096);
    if (name === 'big') expect(chunks.length).toBeGreaterThan(20);
  }
});
