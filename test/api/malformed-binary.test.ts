import * as http2 from 'node:http2';
import { startTestApp, type TestApp } from '../support/app.js';

// A body that is not valid protobuf is the client's fault: INVALID_ARGUMENT, never INTERNAL.
const GARBAGE = new Uint8Array([0x0a, 0xff, 0xff]);
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

test('Connect binary: HTTP 400 invalid_argument', async () => {
  const res = await fetch(`${app.url}/zitadel.admin.v1.AdminService/ListOrgs`, {
    method: 'POST',
    headers: { 'content-type': 'application/proto', authorization: `Bearer ${app.token}` },
    body: GARBAGE,
  });
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ code: 'invalid_argument' });
});

test('gRPC: status 3 (INVALID_ARGUMENT)', async () => {
  const session = http2.connect(app.url);
  try {
    const envelope = Buffer.concat([Buffer.from([0, 0, 0, 0, GARBAGE.length]), GARBAGE]);
    const headers = await new Promise<http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader>((resolve, reject) => {
      const stream = session.request({
        ':method': 'POST',
        ':path': '/zitadel.admin.v1.AdminService/ListOrgs',
        'content-type': 'application/grpc',
        te: 'trailers',
        authorization: `Bearer ${app.token}`,
      });
      let status: Record<string, unknown> = {};
      stream.on('response', (h) => {
        status = { ...h };
      });
      stream.on('trailers', (t) => {
        status = { ...status, ...t };
      });
      stream.on('end', () => resolve(status as never));
      stream.on('error', reject);
      stream.resume();
      stream.end(envelope);
    });
    expect(headers['grpc-status']).toBe('3');
  } finally {
    session.close();
  }
});
