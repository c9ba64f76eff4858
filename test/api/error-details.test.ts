import { StructSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { ErrorDetailSchema } from '../../gen/zitadel/message_pb.js';
import { startTestApp, type TestApp } from '../support/app.js';

/**
 * Issue 9, class 4 (details): every error carries ZITADEL's `zitadel.v1.ErrorDetail{id,
 * message}`; a deadline also carries the committed counts (a Struct). On gRPC, gRPC-Web and
 * Connect as typed details, on REST in the body's `details` as `Any` JSON.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const DEADLINE = { dataOrgs: { orgs: [{ orgId: 'dl-1', org: { name: 'deadline org' } }] }, timeout: '1ns' };

const transports = {
  grpc: () => createGrpcTransport({ baseUrl: app.url }),
  'grpc-web': () => createGrpcWebTransport({ baseUrl: app.url, httpVersion: '1.1' }),
  'connect-json': () => createConnectTransport({ baseUrl: app.url, httpVersion: '1.1' }),
  'connect-binary': () => createConnectTransport({ baseUrl: app.url, httpVersion: '1.1', useBinaryFormat: true }),
};

describe.each(Object.entries(transports))('%s', (_name, transport) => {
  test('a deadline: DEADLINE_EXCEEDED with ErrorDetail and the committed counts', async () => {
    const client = createClient(AdminService, transport());
    const err = await client
      .importData(
        { data: { case: 'dataOrgs', value: DEADLINE.dataOrgs }, timeout: DEADLINE.timeout },
        { headers: { authorization: `Bearer ${app.token}` } },
      )
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
    expect(err?.code).toBe(Code.DeadlineExceeded);
    expect(err?.findDetails(ErrorDetailSchema)).toEqual([expect.objectContaining({ id: 'CALL-timeout' })]);
    const [counts] = err?.findDetails(StructSchema) ?? [];
    expect(counts?.fields.committed).toBeDefined();
  });

  test('a refusal at the gate: ErrorDetail with the id', async () => {
    const client = createClient(AdminService, transport());
    const err = await client.listOrgs({}).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(err?.code).toBe(Code.Unauthenticated);
    expect(err?.findDetails(ErrorDetailSchema)).toEqual([expect.objectContaining({ id: 'AUTH-missing' })]);
  });
});

test('REST: the deadline details are in the body, as Any JSON', async () => {
  const res = await fetch(`${app.url}/admin/v1/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(DEADLINE),
  });
  expect(res.status).toBe(504);
  const body = (await res.json()) as { code: number; details: Record<string, unknown>[] };
  expect(body.code).toBe(Code.DeadlineExceeded);
  expect(body.details).toEqual([
    { '@type': 'type.googleapis.com/zitadel.v1.ErrorDetail', id: 'CALL-timeout', message: expect.any(String) },
    { '@type': 'type.googleapis.com/google.protobuf.Struct', value: expect.objectContaining({ committed: expect.any(Number) }) },
  ]);
});
