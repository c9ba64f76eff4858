import { Code } from '@connectrpc/connect';
import { ManagementService } from '../../gen/zitadel/management_pb.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { type Caller, createCaller, PROTOCOLS } from '../support/protocols.js';

/** GenerateMachineSecret on every protocol, and the secret working at the token endpoint. */
const mgmt = ManagementService.method;
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

let sequence = 0;

describe.each(PROTOCOLS)('over %s', (protocol) => {
  let caller: Caller;
  beforeAll(() => {
    caller = createCaller(protocol, app.url);
  });
  afterAll(() => caller.close());

  test('issues a secret for a machine user that the client-credentials grant accepts; a new one replaces it', async () => {
    const userName = `svc-${protocol}-${++sequence}`;
    const added = await caller.call(mgmt.addMachineUser, { userName, name: 'Service' }, { token: app.token });
    if (!added.ok) throw new Error(added.message);
    const first = await caller.call(mgmt.generateMachineSecret, { userId: String(added.json.userId) }, { token: app.token });
    if (!first.ok) throw new Error(first.message);
    expect(first.json).toMatchObject({
      clientId: userName,
      clientSecret: expect.stringMatching(/^[\w-]{43}$/),
      details: expect.any(Object),
    });
    const grant = (secret: string) =>
      fetch(`${app.url}/realms/master/protocol/openid-connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: userName, client_secret: secret }).toString(),
      });
    expect((await grant(String(first.json.clientSecret))).status).toBe(200);
    const second = await caller.call(mgmt.generateMachineSecret, { userId: String(added.json.userId) }, { token: app.token });
    if (!second.ok) throw new Error(second.message);
    expect((await grant(String(first.json.clientSecret))).status).toBe(401);
    expect((await grant(String(second.json.clientSecret))).status).toBe(200);
  });

  test('unknown users are NOT_FOUND; no token is UNAUTHENTICATED', async () => {
    const missing = await caller.call(mgmt.generateMachineSecret, { userId: 'no-such-user' }, { token: app.token });
    expect(missing.ok ? 'ok' : Code[missing.code]).toBe('NotFound');
    const anonymous = await caller.call(mgmt.generateMachineSecret, { userId: 'x' });
    expect(anonymous.ok ? 'ok' : Code[anonymous.code]).toBe('Unauthenticated');
  });
});
