import type { JsonObject, MessageInitShape } from '@bufbuild/protobuf';
import { create, fromJson, isFieldSet, merge, toJson } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { Metadata } from '@grpc/grpc-js';
import * as reflection from '../../gen/grpc/reflection/v1/reflection_pb.js';
import { MigrationService, type StreamExportRequestSchema, type StreamExportResponse } from '../../gen/idport/v1/migration_pb.js';
import { AdminService, type DataOrg, DataOrgSchema } from '../../gen/zitadel/admin_pb.js';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createGrpcClient, isGrpcError } from '../support/grpc-client.js';

// idport.v1.MigrationService/StreamExport on the real server: the partial DataOrgs it streams,
// merged per org_id, must be exactly what ZITADEL's ExportData answers for the same request.
// Import tests (StreamImport, ImportData) are in migration-service-import.test.ts.

type ExportRequest = MessageInitShape<typeof StreamExportRequestSchema>;

/** One transport's StreamExport: the messages, or the error's gRPC code. */
interface Streamer {
  stream(request: ExportRequest, token?: string): Promise<StreamExportResponse[]>;
  close(): void;
}

function grpcStreamer(address: string): Streamer {
  const client = createGrpcClient(MigrationService, address);
  return {
    async stream(request, token) {
      const metadata = new Metadata();
      if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
      const messages: StreamExportResponse[] = [];
      try {
        for await (const m of client.streamExport(request, { metadata })) messages.push(m);
      } catch (e) {
        if (isGrpcError(e)) throw new CodeError(e.code, e.details);
        throw e;
      }
      return messages;
    },
    close: () => client.close(),
  };
}

function connectStreamer(baseUrl: string): Streamer {
  const sessionManager = new Http2SessionManager(baseUrl);
  const client = createClient(MigrationService, createConnectTransport({ baseUrl, httpVersion: '2', sessionManager }));
  return {
    async stream(request, token) {
      const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
      const messages: StreamExportResponse[] = [];
      try {
        for await (const m of client.streamExport(request, { headers })) messages.push(m);
      } catch (e) {
        const err = ConnectError.from(e);
        throw new CodeError(err.code, err.rawMessage);
      }
      return messages;
    },
    close: () => sessionManager.abort(),
  };
}

/** A failed call, with its code (gRPC and Connect share the numbering). */
class CodeError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(`${Code[code]}: ${message}`);
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'OK';
  } catch (e) {
    if (e instanceof CodeError) return Code[e.code] ?? String(e.code);
    throw e;
  }
}

/** Resources in one message: each list entry, and each singular message field (org included). */
function resourceCount(org: DataOrg | undefined): number {
  if (!org) return 0;
  let n = 0;
  for (const field of DataOrgSchema.fields) {
    if (field.name === 'org_id' || field.name === 'org_state') continue;
    if (field.fieldKind === 'list') n += (org[field.localName as keyof DataOrg] as unknown[]).length;
    else if (isFieldSet(org, field)) n += 1;
  }
  return n;
}

/** Merges every message of an org into one DataOrg (protobuf merge), orgs in first-seen order. */
function mergedOrgs(messages: readonly StreamExportResponse[]): JsonObject[] {
  const orgs = new Map<string, DataOrg>();
  for (const m of messages) {
    const part = m.org ?? create(DataOrgSchema);
    const into = orgs.get(part.orgId) ?? create(DataOrgSchema);
    merge(DataOrgSchema, into, part);
    orgs.set(part.orgId, into);
  }
  return [...orgs.values()].map((o) => toJson(DataOrgSchema, o) as JsonObject);
}

/** The org ids in message order, each run of one org collapsed to one entry. */
function runsOf(messages: readonly StreamExportResponse[]): string[] {
  const runs: string[] = [];
  for (const m of messages) if (runs.at(-1) !== m.org?.orgId) runs.push(m.org?.orgId ?? '');
  return runs;
}

let app: TestApp;
let address: string;
let admin: ReturnType<typeof createGrpcClient<typeof AdminService>>;
const auth = () => {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${app.token}`);
  return { metadata };
};
const fixture = seededOrgs('');
const fixtureIds = fixture.map((o) => o.orgId);

/** ExportData (unary, ZITADEL's) for the same selection, each org as DataOrg JSON. */
async function exportData(request: ExportRequest['request']): Promise<JsonObject[]> {
  const response = await admin.exportData({ ...request, responseOutput: true }, auth());
  return response.orgs.map((o) => toJson(DataOrgSchema, o) as JsonObject);
}

beforeAll(async () => {
  app = await startTestApp();
  address = `127.0.0.1:${app.port}`;
  admin = createGrpcClient(AdminService, address);
  const report = await admin.importData(
    { data: { case: 'dataOrgs', value: { orgs: fixture.map((o) => fromJson(DataOrgSchema, o)) } } },
    auth(),
  );
  expect(report.errors).toEqual([]);
});

afterAll(async () => {
  admin?.close();
  await app?.close();
});

test('reflection lists idport.v1.MigrationService', async () => {
  const client = createGrpcClient(reflection.ServerReflection, address);
  try {
    const names: string[] = [];
    for await (const r of client.serverReflectionInfo([{ messageRequest: { case: 'listServices', value: '' } }])) {
      if (r.messageResponse.case === 'listServicesResponse') names.push(...r.messageResponse.value.service.map((s) => s.name));
    }
    expect(names).toContain('idport.v1.MigrationService');
  } finally {
    client.close();
  }
});

describe.each([
  ['grpc-js', (app: TestApp) => grpcStreamer(`127.0.0.1:${app.port}`)],
  ['connect (h2)', (app: TestApp) => connectStreamer(app.url)],
] as const)('StreamExport over %s', (_name, make) => {
  let streamer: Streamer;
  beforeAll(() => {
    streamer = make(app);
  });
  afterAll(() => streamer.close());

  test('the seeded orgs, merged per org_id, are the fixture', async () => {
    const messages = await streamer.stream(
      { request: { orgIds: fixtureIds, withPasswords: true, withOtp: true }, itemsPerMessage: 1 },
      app.token,
    );
    expect(mergedOrgs(messages)).toEqual(fixture);
  });

  describe.each([1, 1000])('items_per_message %i', (itemsPerMessage) => {
    test.each<[string, ExportRequest['request']]>([
      ['all orgs, with secrets', { withPasswords: true, withOtp: true }],
      ['all orgs, without secrets', {}],
      ['org_ids in reverse', { orgIds: [...fixtureIds].reverse(), withPasswords: true }],
      ['excluded_org_ids', { excludedOrgIds: [fixtureIds[1]!], withOtp: true }],
    ])('%s: partial messages that merge into ExportData', async (_case, request) => {
      const expected = await exportData(request);
      const messages = await streamer.stream({ request, itemsPerMessage }, app.token);

      // Partial: more messages than orgs, and never more resources in one than asked for.
      expect(messages.length).toBeGreaterThan(expected.length);
      const sizes = messages.map((m) => resourceCount(m.org));
      expect(Math.max(...sizes)).toBeLessThanOrEqual(itemsPerMessage);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(
        expected.map((o) => resourceCount(fromJson(DataOrgSchema, o))).reduce((a, b) => a + b, 0),
      );
      if (itemsPerMessage === 1) expect(Math.max(...sizes)).toBe(1);

      // Each org's parts come together, in ExportData's org order; merged they are its orgs.
      expect(runsOf(messages)).toEqual(expected.map((o) => o.orgId));
      expect(mergedOrgs(messages)).toEqual(expected);
    });
  });

  test('items_per_message 1 sends more messages than 1000', async () => {
    const request = { orgIds: fixtureIds };
    const one = await streamer.stream({ request, itemsPerMessage: 1 }, app.token);
    const many = await streamer.stream({ request, itemsPerMessage: 1000 }, app.token);
    expect(one.length).toBeGreaterThan(many.length);
    expect(mergedOrgs(one)).toEqual(mergedOrgs(many));
  });

  test('without a token: UNAUTHENTICATED', async () => {
    expect(await codeOf(streamer.stream({ request: {}, itemsPerMessage: 1 }))).toBe('Unauthenticated');
  });

  test('an unknown org id: NOT_FOUND, and no org is streamed', async () => {
    let messages: StreamExportResponse[] | undefined;
    const code = await codeOf(
      streamer.stream({ request: { orgIds: [fixtureIds[0]!, '999404'] }, itemsPerMessage: 1 }, app.token).then((m) => {
        messages = m;
      }),
    );
    expect({ code, messages }).toEqual({ code: 'NotFound', messages: undefined });
    expect(await codeOf(streamer.stream({ request: { excludedOrgIds: ['999404'] } }, app.token))).toBe('NotFound');
  });

  test('a timeout of 0 in the request: DEADLINE_EXCEEDED', async () => {
    expect(await codeOf(streamer.stream({ request: { timeout: '0s' }, itemsPerMessage: 1 }, app.token))).toBe('DeadlineExceeded');
  });
});
