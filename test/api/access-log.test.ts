/**
 * One JSON access line per call on every protocol (STYLE.md habit 13), with the request id the
 * client sent (echoed back) or one we made; at debug level requests and responses are logged
 * redacted by their protos, so no token, hash or OTP seed reaches any line.
 */
import { Writable } from 'node:stream';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { ManagementService } from '../../gen/zitadel/management_pb.js';
import { createLogger } from '../../src/log.js';
import { BCRYPT_HASH, OTP_SECRET, seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { postJson } from '../support/export-helpers.js';
import { type Caller, createCaller, PROTOCOLS, type Protocol } from '../support/protocols.js';

type Line = Record<string, unknown> & { level: string; msg: string };
const raw: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    raw.push(String(chunk));
    done();
  },
});
const lines = (): Line[] =>
  raw
    .join('')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
const calls = (requestId: string) => lines().filter((l) => l.msg === 'call' && l.requestId === requestId);

const WIRE: Record<Protocol, string> = {
  grpc: 'grpc',
  'grpc-web': 'grpc-web',
  'connect-json': 'connect',
  'connect-binary': 'connect',
  rest: 'rest',
};

let app: TestApp;
let userId: string;
const callers = new Map<Protocol, Caller>();
const minted: string[] = [];

beforeAll(async () => {
  app = await startTestApp({}, { logger: createLogger('debug', sink) });
  for (const p of PROTOCOLS) callers.set(p, createCaller(p, app.url));
  const res = await postJson(app, '/management/v1/users/machine', { userName: 'logged', name: 'Logged' });
  userId = String(res.json.userId);
});
afterAll(async () => {
  for (const c of callers.values()) c.close();
  await app?.close();
});

describe.each(PROTOCOLS)('%s', (protocol) => {
  test('a successful call is one access line with its request id, caller and sizes; the minted token is redacted', async () => {
    const requestId = `req-${protocol}-ok`;
    const result = await callers
      .get(protocol)!
      .call(ManagementService.method.addPersonalAccessToken, { userId }, { token: app.token, headers: { 'x-request-id': requestId } });
    if (!result.ok) throw new Error(result.message);
    minted.push(String(result.json.token));
    const [line, ...more] = calls(requestId);
    expect(more).toEqual([]);
    expect(line).toMatchObject({
      level: 'info',
      protocol: WIRE[protocol],
      method: 'zitadel.management.v1.ManagementService/AddPersonalAccessToken',
      code: 'ok',
      principalId: expect.any(String),
      bytesIn: expect.any(Number),
      durationMs: expect.any(Number),
    });
    expect(line!.bytesOut as number).toBeGreaterThan(0);
    expect(line!.errorId).toBeUndefined();
    const debug = lines().filter((l) => l.level === 'debug' && l.requestId === requestId && l.msg === 'response');
    expect(debug).toEqual([expect.objectContaining({ message: expect.objectContaining({ token: '[REDACTED]' }) })]);
  });

  test('a failed call is one access line with its code and error id', async () => {
    const requestId = `req-${protocol}-unauthenticated`;
    const result = await callers.get(protocol)!.call(AdminService.method.listOrgs, {}, { headers: { 'x-request-id': requestId } });
    expect(result.ok).toBe(false);
    expect(calls(requestId)).toEqual([
      expect.objectContaining({
        protocol: WIRE[protocol],
        method: 'zitadel.admin.v1.AdminService/ListOrgs',
        code: 'unauthenticated',
        errorId: 'AUTH-missing',
      }),
    ]);
  });
});

test('X-Request-Id is echoed, or generated when absent or unusable', async () => {
  const given = await fetch(`${app.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
  expect(given.headers.get('x-request-id')).toBe('abc-123');
  for (const headers of [{}, { 'x-request-id': 'bad id with spaces' }]) {
    const res = await fetch(`${app.url}/healthz`, { headers });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls(id!)).toEqual([expect.objectContaining({ method: 'GET /healthz', protocol: 'http', code: 'ok' })]);
  }
});

test('no token, hash or OTP seed reaches a log line, even at debug with an import of secrets', async () => {
  const res = await postJson(app, '/admin/v1/import', { timeout: '1m', data_orgs: { orgs: seededOrgs('7') } });
  expect(res.status).toBe(200);
  const all = raw.join('');
  expect(all).toContain('"msg":"request"');
  for (const secret of [app.token, BCRYPT_HASH, OTP_SECRET, ...minted]) expect(all).not.toContain(secret);
  expect(minted).toHaveLength(PROTOCOLS.length);
});
