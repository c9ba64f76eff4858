import type { JsonObject, MessageInitShape } from '@bufbuild/protobuf';
import { fromJson, toJson } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { Metadata } from '@grpc/grpc-js';
import {
  type ImportDataResponse,
  ImportDataResponseSchema,
  type ImportOptionsSchema,
  MigrationService,
  Outcome,
  type StreamImportRequestSchema,
} from '../../gen/idport/v1/migration_pb.js';
import { AdminService, DataOrgSchema } from '../../gen/zitadel/admin_pb.js';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createGrpcClient, isGrpcError } from '../support/grpc-client.js';

// idport.v1.MigrationService/StreamImport on the real server: the fixture sent as many partial
// DataOrgs (one resource per message) over grpc-js and Connect (h2). ImportData (unary) is in
// migration-service-import-data.test.ts, StreamExport in migration-service.test.ts.

type ImportRequest = MessageInitShape<typeof StreamImportRequestSchema>;
type ImportOptionsInit = MessageInitShape<typeof ImportOptionsSchema>;

interface StreamImporter {
  /** Sends the requests in order, then half-closes; rejects with the call's Code name. */
  send(requests: readonly ImportRequest[], token?: string): Promise<ImportDataResponse>;
  close(): void;
}

/** Yields on the event loop between messages, so the server sees them arrive one by one. */
async function* slowly<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) {
    await new Promise((resolve) => setImmediate(resolve));
    yield item;
  }
}

function grpcImporter(address: string): StreamImporter {
  const client = createGrpcClient(MigrationService, address);
  return {
    async send(requests, token) {
      const metadata = new Metadata();
      if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
      try {
        return await client.streamImport(slowly(requests), { metadata });
      } catch (e) {
        throw isGrpcError(e) ? new Error(Code[e.code]) : e;
      }
    },
    close: () => client.close(),
  };
}

function connectImporter(baseUrl: string): StreamImporter {
  const sessionManager = new Http2SessionManager(baseUrl);
  const client = createClient(MigrationService, createConnectTransport({ baseUrl, httpVersion: '2', sessionManager }));
  return {
    async send(requests, token) {
      const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
      try {
        return await client.streamImport(slowly(requests), { headers });
      } catch (e) {
        throw new Error(Code[ConnectError.from(e).code]);
      }
    },
    close: () => sessionManager.abort(),
  };
}

/** One DataOrg JSON cut into parts with one resource (or the org head, or org_state) each. */
function partsOf(org: JsonObject): JsonObject[] {
  const parts: JsonObject[] = [];
  for (const [field, value] of Object.entries(org)) {
    if (field === 'orgId') continue;
    if (Array.isArray(value)) for (const item of value) parts.push({ orgId: org.orgId ?? '', [field]: [item] });
    else parts.push({ orgId: org.orgId ?? '', [field]: value });
  }
  return parts;
}

/** Parts as StreamImportRequests; the first carries `first` (options, timeout). */
function requestsOf(parts: readonly JsonObject[], first: { options?: ImportOptionsInit; timeout?: string } = {}): ImportRequest[] {
  return parts.map((part, i) => ({ ...(i === 0 ? first : {}), org: fromJson(DataOrgSchema, part) }));
}

/** The report as proto-JSON, for readable diffs. */
const json = (r: ImportDataResponse) => toJson(ImportDataResponseSchema, r) as JsonObject;
const outcomes = (r: ImportDataResponse) => [...new Set(r.results.map((x) => Outcome[x.outcome]))].sort();

describe.each([
  ['grpc-js', (app: TestApp) => grpcImporter(`127.0.0.1:${app.port}`)],
  ['connect (h2)', (app: TestApp) => connectImporter(app.url)],
] as const)('StreamImport over %s', (_name, make) => {
  let app: TestApp;
  let importer: StreamImporter;
  let admin: ReturnType<typeof createGrpcClient<typeof AdminService>>;
  const auth = () => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${app.token}`);
    return { metadata };
  };
  const exportOrgs = async (orgIds: string[]) =>
    (await admin.exportData({ orgIds, withPasswords: true, withOtp: true, responseOutput: true }, auth())).orgs.map(
      (o) => toJson(DataOrgSchema, o) as JsonObject,
    );
  const listOrgIds = async () => (await admin.listOrgs({ query: { limit: 1000 } }, auth())).result.map((o) => o.id).sort();

  // A fresh app per transport: the first test imports into an instance that only has its bootstrap org.
  beforeAll(async () => {
    app = await startTestApp();
    importer = make(app);
    admin = createGrpcClient(AdminService, `127.0.0.1:${app.port}`);
  });
  afterAll(async () => {
    importer?.close();
    admin?.close();
    await app?.close();
  });

  test('the fixture, one resource per message: export equals the fixture', async () => {
    const fixture = seededOrgs('');
    const parts = fixture.flatMap(partsOf);
    expect(parts.length).toBeGreaterThan(40);

    const report = await importer.send(requestsOf(parts), app.token);

    expect(outcomes(report)).toEqual(['CREATED']);
    expect(report.dryRun).toBe(false);
    expect(json(report).counts).toEqual({ created: String(report.results.length) });
    expect(report.response?.errors).toEqual([]);
    expect(report.response?.success?.orgs.map((o) => o.orgId)).toEqual(fixture.map((o) => o.orgId));
    expect(await exportOrgs(fixture.map((o) => o.orgId))).toEqual(fixture);
  });

  test('dry_run on the first message: a full report, nothing written', async () => {
    const fixture = seededOrgs('7');
    const before = await listOrgIds();

    const report = await importer.send(requestsOf(fixture.flatMap(partsOf), { options: { dryRun: true } }), app.token);

    expect(report.dryRun).toBe(true);
    expect(outcomes(report)).toEqual(['CREATED']);
    expect(json(report).counts).toEqual({ created: String(report.results.length) });
    expect(new Set(report.results.map((r) => r.orgId))).toEqual(new Set(fixture.map((o) => o.orgId)));
    expect(await listOrgIds()).toEqual(before);
    await expect(exportOrgs([fixture[0]!.orgId])).rejects.toMatchObject({ code: Code.NotFound });
  });

  test('without a token: UNAUTHENTICATED, nothing written', async () => {
    const fixture = seededOrgs('6');
    await expect(importer.send(requestsOf(fixture.flatMap(partsOf)))).rejects.toThrow('Unauthenticated');
    await expect(exportOrgs([fixture[0]!.orgId])).rejects.toMatchObject({ code: Code.NotFound });
  });

  // Parts of A that arrive after B started are a second occurrence of A. It carries no org
  // name, so it adds to the A that the first part created: every resource lands in A.
  test('parts of A after B started: the later parts are added to A', async () => {
    const [a, b]: JsonObject[] = seededOrgs('8');
    if (!a || !b) throw new Error('the fixture has two orgs');
    const aParts = partsOf(a);
    const half = Math.ceil(aParts.length / 2);
    const sent = [...aParts.slice(0, half), ...partsOf(b), ...aParts.slice(half)];

    const report = await importer.send(requestsOf(sent), app.token);

    const resources = sent.filter((p) => p.org === undefined && p.orgState === undefined);
    expect(report.results).toHaveLength(resources.length + 2);
    expect(report.results.filter((r) => r.type === 'org').map((r) => [r.orgId, Outcome[r.outcome]])).toEqual([
      [a.orgId, 'CREATED'],
      [b.orgId, 'CREATED'],
    ]);
    expect(report.results.every((r) => r.outcome === Outcome.CREATED)).toBe(true);
    expect(await exportOrgs([String(a.orgId), String(b.orgId)])).toEqual([a, b]);
  });
});
