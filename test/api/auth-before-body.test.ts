import { Code } from '@connectrpc/connect';
import { startTestApp, type TestApp } from '../support/app.js';
import { floodHttp1, floodHttp2, type RawAnswer } from '../support/raw-http.js';
import { mintRoleToken } from '../support/roles.js';

/**
 * Issue 9, class 1: authentication and the method's permission are decided from the headers,
 * before any body byte is read. An unauthenticated 60 MiB import is answered while the client
 * is still sending: the client's byte counter shows how much the server could have read at
 * most (its socket buffers), far below the body size. Every protocol and route.
 */
const BODY = 60 * 1024 * 1024;
/** Loopback socket buffers on Linux grow to a few MiB (tcp_rmem/wmem max 6 MiB / 4 MiB). */
const AT_MOST_READ = 16 * 1024 * 1024;

let app: TestApp;
let viewerToken: string;
beforeAll(async () => {
  app = await startTestApp();
  viewerToken = await mintRoleToken(app, { iam: ['IAM_OWNER_VIEWER'] });
});
afterAll(() => app.close());

const json = (a: RawAnswer) => JSON.parse(a.body.toString('utf8')) as { code: unknown; message: string; details?: unknown[] };

/** Connect's end-of-stream message: the last envelope of a streaming response (flag 0b10). */
function connectEndStream(body: Buffer): { error?: { code: string } } {
  let at = 0;
  while (at + 5 <= body.length) {
    const length = body.readUInt32BE(at + 1);
    if ((body[at] as number) & 0b10) return JSON.parse(body.subarray(at + 5, at + 5 + length).toString('utf8'));
    at += 5 + length;
  }
  throw new Error('no end-of-stream message');
}

const CONNECT_CODE = (name: unknown) =>
  Object.values(Code).find((c) => typeof c === 'number' && Code[c].replace(/(?<!^)[A-Z]/g, (x) => `_${x}`).toLowerCase() === name);
const grpcStatus = (a: RawAnswer) => Number(a.headers['grpc-status'] ?? a.trailers['grpc-status']);

type Case = { name: string; send: (headers: Record<string, string>) => Promise<RawAnswer>; code: (a: RawAnswer) => unknown };
const cases: Case[] = [
  {
    name: 'REST POST /admin/v1/import (HTTP/1.1)',
    send: (h) => floodHttp1(app.url, '/admin/v1/import', { 'content-type': 'application/json', ...h }, BODY),
    code: (a) => json(a).code,
  },
  {
    name: 'Connect JSON ImportData (HTTP/1.1, the admin-shaped rewrite path)',
    send: (h) => floodHttp1(app.url, '/zitadel.admin.v1.AdminService/ImportData', { 'content-type': 'application/json', ...h }, BODY),
    code: (a) => CONNECT_CODE(json(a).code),
  },
  {
    name: 'Connect binary ImportData (HTTP/2)',
    send: (h) => floodHttp2(app.url, '/zitadel.admin.v1.AdminService/ImportData', { 'content-type': 'application/proto', ...h }, BODY),
    code: (a) => CONNECT_CODE(json(a).code),
  },
  {
    name: 'Connect streaming StreamImport (HTTP/2)',
    send: (h) =>
      floodHttp2(app.url, '/idport.v1.MigrationService/StreamImport', { 'content-type': 'application/connect+proto', ...h }, BODY),
    code: (a) => CONNECT_CODE(connectEndStream(a.body).error?.code),
  },
  {
    name: 'gRPC-Web ImportData (HTTP/1.1)',
    send: (h) =>
      floodHttp1(app.url, '/zitadel.admin.v1.AdminService/ImportData', { 'content-type': 'application/grpc-web+proto', ...h }, BODY),
    code: grpcStatus,
  },
  {
    name: 'gRPC ImportData (HTTP/2)',
    send: (h) =>
      floodHttp2(app.url, '/zitadel.admin.v1.AdminService/ImportData', { 'content-type': 'application/grpc', te: 'trailers', ...h }, BODY),
    code: grpcStatus,
  },
  {
    name: 'gRPC StreamImport (HTTP/2, client streaming)',
    send: (h) =>
      floodHttp2(app.url, '/idport.v1.MigrationService/StreamImport', { 'content-type': 'application/grpc', te: 'trailers', ...h }, BODY),
    code: grpcStatus,
  },
];

describe.each(cases)('$name', ({ send, code }) => {
  test('no token: UNAUTHENTICATED before the body is read', async () => {
    const answer = await send({});
    expect(code(answer)).toBe(Code.Unauthenticated);
    expect(answer.sent).toBeLessThan(AT_MOST_READ);
  });

  test('a bad token: UNAUTHENTICATED before the body is read', async () => {
    const answer = await send({ authorization: 'Bearer not-a-token' });
    expect(code(answer)).toBe(Code.Unauthenticated);
    expect(answer.sent).toBeLessThan(AT_MOST_READ);
  });

  test('a token without iam.write: PERMISSION_DENIED before the body is read', async () => {
    const answer = await send({ authorization: `Bearer ${viewerToken}` });
    expect(code(answer)).toBe(Code.PermissionDenied);
    expect(answer.sent).toBeLessThan(AT_MOST_READ);
  });
});

test("the REST refusal carries ZITADEL's ErrorDetail with the error id", async () => {
  const answer = await floodHttp1(app.url, '/admin/v1/import', { 'content-type': 'application/json' }, 1024);
  expect(answer.status).toBe(401);
  expect(json(answer)).toEqual({
    code: Code.Unauthenticated,
    message: expect.any(String),
    details: [{ '@type': 'type.googleapis.com/zitadel.v1.ErrorDetail', id: 'AUTH-missing', message: expect.any(String) }],
  });
});
