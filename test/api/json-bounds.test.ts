import { Code } from '@connectrpc/connect';
import { startTestApp, type TestApp } from '../support/app.js';
import { floodWith, type RawAnswer } from '../support/raw-http.js';

/**
 * Issue 9, class 1 (bounds): a 12 KB body of 6,000 nested arrays, or a string longer than
 * the limit, is INVALID_ARGUMENT on every JSON route (it used to overflow JSON.stringify in
 * the REST gateway and leave the connection unanswered). Without a token it is 401 first.
 */
const DEEP = `{"orgIds":${'['.repeat(6000)}${']'.repeat(6000)}}`;
const LONG = `{"orgIds":["${'x'.repeat(1024 * 1024 + 1)}"]}`;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

function envelope(text: string): Buffer {
  const payload = Buffer.from(text);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** Sends a whole body (not a flood): floodHttp* with its own bytes. */
async function send(version: 1 | 2, path: string, headers: Record<string, string>, body: Buffer): Promise<RawAnswer> {
  return floodWith(version, app.url, path, headers, body);
}

const CONNECT_CODE = (name: unknown): Code | undefined =>
  (Object.values(Code) as (Code | string)[]).find(
    (c): c is Code => typeof c === 'number' && Code[c].replace(/(?<!^)[A-Z]/g, (x) => `_${x}`).toLowerCase() === name,
  );
const grpcStatus = (a: RawAnswer) => Number(a.headers['grpc-status'] ?? a.trailers['grpc-status']);
const bodyJson = (a: RawAnswer) => JSON.parse(a.body.toString('utf8')) as { code: unknown };
function endStream(a: RawAnswer) {
  let at = 0;
  while (at + 5 <= a.body.length) {
    const length = a.body.readUInt32BE(at + 1);
    if ((a.body[at] as number) & 0b10)
      return JSON.parse(a.body.subarray(at + 5, at + 5 + length).toString('utf8')) as { error?: { code: string } };
    at += 5 + length;
  }
  return {};
}

type Route = { name: string; call: (text: string, auth: boolean) => Promise<Code | undefined> };
const auth = (yes: boolean): Record<string, string> => (yes ? { authorization: `Bearer ${app.token}` } : {});
const routes: Route[] = [
  {
    name: 'REST POST /admin/v1/export',
    call: async (t, a) =>
      bodyJson(await send(1, '/admin/v1/export', { 'content-type': 'application/json', ...auth(a) }, Buffer.from(t))).code as Code,
  },
  {
    name: 'REST POST /admin/v1/import',
    call: async (t, a) =>
      bodyJson(
        await send(1, '/admin/v1/import', { 'content-type': 'application/json', ...auth(a) }, Buffer.from(t.replace('orgIds', 'dataOrgs'))),
      ).code as Code,
  },
  {
    name: 'Connect JSON ExportData',
    call: async (t, a) =>
      CONNECT_CODE(
        bodyJson(
          await send(1, '/zitadel.admin.v1.AdminService/ExportData', { 'content-type': 'application/json', ...auth(a) }, Buffer.from(t)),
        ).code,
      ),
  },
  {
    name: 'Connect JSON ImportData (admin-shaped rewrite)',
    call: async (t, a) =>
      CONNECT_CODE(
        bodyJson(
          await send(
            1,
            '/zitadel.admin.v1.AdminService/ImportData',
            { 'content-type': 'application/json', ...auth(a) },
            Buffer.from(t.replace('orgIds', 'dataOrgsv1')),
          ),
        ).code,
      ),
  },
  {
    name: 'Connect streaming JSON StreamExport',
    call: async (t, a) =>
      CONNECT_CODE(
        endStream(
          await send(
            2,
            '/idport.v1.MigrationService/StreamExport',
            { 'content-type': 'application/connect+json', ...auth(a) },
            envelope(t),
          ),
        ).error?.code,
      ),
  },
  {
    name: 'gRPC-Web JSON ExportData',
    call: async (t, a) =>
      grpcStatus(
        await send(
          1,
          '/zitadel.admin.v1.AdminService/ExportData',
          { 'content-type': 'application/grpc-web+json', ...auth(a) },
          envelope(t),
        ),
      ),
  },
  {
    name: 'gRPC JSON ExportData',
    call: async (t, a) =>
      grpcStatus(
        await send(
          2,
          '/zitadel.admin.v1.AdminService/ExportData',
          { 'content-type': 'application/grpc+json', te: 'trailers', ...auth(a) },
          envelope(t),
        ),
      ),
  },
];

describe.each(routes)('$name', ({ call }) => {
  test('6,000 nested arrays without a token: UNAUTHENTICATED', async () => {
    expect(await call(DEEP, false)).toBe(Code.Unauthenticated);
  });
  test('6,000 nested arrays: INVALID_ARGUMENT', async () => {
    expect(await call(DEEP, true)).toBe(Code.InvalidArgument);
  });
  test('a string over the limit: INVALID_ARGUMENT', async () => {
    expect(await call(LONG, true)).toBe(Code.InvalidArgument);
  });
});

test('protobuf binary nested 100,000 groups deep: INVALID_ARGUMENT on Connect and gRPC', async () => {
  // field 99 as start-group / end-group tags, nested: protobuf-es stops at its recursion limit.
  const deep = Buffer.concat(
    [Buffer.from([0x9b, 0x06]).toString('latin1').repeat(100_000), Buffer.from([0x9c, 0x06]).toString('latin1').repeat(100_000)].map((s) =>
      Buffer.from(s, 'latin1'),
    ),
  );
  const head = Buffer.alloc(5);
  head.writeUInt32BE(deep.length, 1);
  const connect = await send(2, '/zitadel.admin.v1.AdminService/ListOrgs', { 'content-type': 'application/proto', ...auth(true) }, deep);
  expect(CONNECT_CODE(bodyJson(connect).code)).toBe(Code.InvalidArgument);
  const grpc = await send(
    2,
    '/zitadel.admin.v1.AdminService/ListOrgs',
    { 'content-type': 'application/grpc', te: 'trailers', ...auth(true) },
    Buffer.concat([head, deep]),
  );
  expect(grpcStatus(grpc)).toBe(Code.InvalidArgument);
});
