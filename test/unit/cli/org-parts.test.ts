import { create, fromJson, type JsonValue, toBinary } from '@bufbuild/protobuf';
import { DataOrgSchema, ImportDataRequestSchema, ImportDataResponseSchema } from '../../../gen/zitadel/admin_pb.js';
import { IMPORT_PASSES, ORG_CONTEXT_FIELDS, PartTooLargeError, resourceCount, splitOrg } from '../../../src/cli/migrate/org-parts.js';
import { createZitadelReportCollector } from '../../../src/cli/migrate/report.js';
import { seededOrgs } from '../../fixtures/data-orgs.js';

// How an org is cut for ZITADEL's ImportData (org-parts.ts) and how the answers are read back.

const [orgA] = seededOrgs('-parts');
const org = fromJson(DataOrgSchema, orgA as unknown as JsonValue);
const ORDER: string[] = IMPORT_PASSES.flat();
const requestBytes = (part: ReturnType<typeof splitOrg>[number]) =>
  toBinary(
    ImportDataRequestSchema,
    create(ImportDataRequestSchema, { data: { case: 'dataOrgs', value: { orgs: [part.org] } }, timeout: '30m' }),
  ).length;
/** Field names carrying items in a part, in import order. */
const fieldsOf = (part: ReturnType<typeof splitOrg>[number]) =>
  ORDER.filter((f) => {
    const v = (part.org as unknown as Record<string, unknown>)[f];
    return Array.isArray(v) ? v.length > 0 : v !== undefined;
  });

test('the import order lists every DataOrg resource field once', () => {
  const resourceFields = DataOrgSchema.fields.map((f) => f.localName).filter((n) => !['orgId', 'org', 'orgState'].includes(n));
  expect([...ORDER].sort()).toEqual([...resourceFields].sort());
  expect(new Set(ORDER).size).toBe(ORDER.length);
});

test.each([1024, 1500, 4096, 1 << 20])(
  'ZITADEL parts under %d bytes: nothing lost, order kept, passes apart, texts never in the first',
  (limit) => {
    const parts = splitOrg(org, limit, { zitadel: true });

    for (const part of parts) {
      expect(requestBytes(part)).toBeLessThanOrEqual(limit);
      // Every part names the org in full: ZITADEL needs the head to go on into an existing org.
      expect({ orgId: part.org.orgId, name: part.org.org?.name, state: part.org.orgState }).toEqual({
        orgId: org.orgId,
        name: org.org?.name,
        state: org.orgState,
      });
    }
    expect(parts.map((p) => p.pass)).toEqual([...parts.map((p) => p.pass)].sort());
    expect(parts[0]?.pass).toBe(1);
    expect(fieldsOf(parts[0]!).filter((f) => ORG_CONTEXT_FIELDS.has(f as never))).toEqual([]);
    for (const part of parts) {
      const pass = IMPORT_PASSES[part.pass - 1] as readonly string[];
      expect(fieldsOf(part).every((f) => pass.includes(f))).toBe(true);
    }
    // Contiguous runs of one sequence: concatenating the parts' fields gives the import order.
    const seen = parts.flatMap(fieldsOf);
    expect(seen.map((f) => ORDER.indexOf(f))).toEqual([...seen.map((f) => ORDER.indexOf(f))].sort((x, y) => x - y));
    const merged = create(DataOrgSchema, { orgId: org.orgId, org: org.org, orgState: org.orgState });
    for (const part of parts) {
      for (const f of fieldsOf(part)) {
        const v = (part.org as unknown as Record<string, unknown>)[f];
        const into = merged as unknown as Record<string, unknown>;
        if (Array.isArray(v)) (into[f] as unknown[]).push(...v);
        else into[f] = v;
      }
    }
    expect(merged).toEqual(org);
    expect(parts.reduce((n, p) => n + p.resources, 0)).toBe(resourceCount(org));
  },
);

test('without ZITADEL rules (idport StreamImport) only size cuts; small orgs go whole', () => {
  expect(splitOrg(org, 1 << 20, { zitadel: false })).toHaveLength(1);
  expect(splitOrg(org, 1 << 20, { zitadel: true }).length).toBeGreaterThanOrEqual(3);
  expect(splitOrg(org, 1024, { zitadel: false }).length).toBeGreaterThan(1);
});

test('an org without resources is still one part (it must be created)', () => {
  const bare = create(DataOrgSchema, { orgId: 'bare', org: { name: 'Bare' } });
  expect(splitOrg(bare, 1024, { zitadel: true }).map((p) => [p.pass, p.resources])).toEqual([[1, 0]]);
});

test('a resource over the limit alone: PartTooLargeError naming org and resource', () => {
  const huge = create(DataOrgSchema, {
    orgId: 'o1',
    org: { name: 'O' },
    humanUsers: [{ userId: 'u1', user: { userName: 'x'.repeat(5000) } }],
  });
  expect(() => splitOrg(huge, 4096, { zitadel: true })).toThrow(PartTooLargeError);
  expect(() => splitOrg(huge, 4096, { zitadel: true })).toThrow(/^org o1: human_users u1 alone is \d+ bytes/);
});

test('ZITADEL’s answers: "org already exists" for a later part dropped, any other error kept, successes merged', () => {
  const collector = createZitadelReportCollector();
  const answer = (json: JsonValue) => fromJson(ImportDataResponseSchema, json);
  collector.add('o1', false, answer({ success: { orgs: [{ orgId: 'o1', humanUserIds: ['u1'] }] } }));
  collector.add(
    'o1',
    true,
    answer({
      errors: [
        { type: 'org', id: 'o1', message: 'ID=ORG-lapo2m Message=Errors.Org.AlreadyExisting' },
        { type: 'human_user', id: 'u2', message: 'ID=COMMAND-x Message=Errors.User.AlreadyExisting' },
      ],
      success: { orgs: [{ orgId: 'o1', humanUserIds: ['u3'], projectIds: ['p1'] }] },
    }),
  );
  // The same error on an org's first part is real: the org was there before.
  collector.add(
    'o2',
    false,
    answer({
      errors: [{ type: 'org', id: 'o2', message: 'ID=ORG-lapo2m Message=Errors.Org.AlreadyExisting' }],
      success: { orgs: [{ orgId: 'o2' }] },
    }),
  );

  const report = collector.report('idport');
  expect(report.response.errors.map((e) => `${e.type} ${e.id}`)).toEqual(['human_user u2', 'org o2']);
  expect(report.response.success?.orgs.map((o) => [o.orgId, o.humanUserIds, o.projectIds])).toEqual([
    ['o1', ['u1', 'u3'], ['p1']],
    ['o2', [], []],
  ]);
  // o1 itself, u1, u3, p1 succeeded; o2 failed (it existed), as did u2.
  expect(report.totals).toEqual({ succeeded: 4n, failed: 2n });
  expect(collector.has('o1') && collector.has('o2') && !collector.has('o3')).toBe(true);
});
