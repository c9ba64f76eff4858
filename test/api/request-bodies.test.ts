import type { DescMethod, JsonObject } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { ManagementService } from '../../gen/zitadel/management_pb.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { expectCode, expectOk } from '../support/import-client.js';
import { type CallOpts, createCaller, JSON_PROTOCOLS, PROTOCOLS, sendJsonText } from '../support/protocols.js';

// How request bodies are read on each protocol: JSON syntax and field names, REST's path
// variables and body shapes, and the request size limit. Split from foundation.test.ts.
const mgmt = ManagementService.method;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({});
});
afterAll(async () => {
  await app?.close();
});

let sequence = 0;
/** A user name no other test (or protocol) uses. */
const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++sequence}`;
const resultOf = (json: JsonObject) => (json.result ?? []) as JsonObject[];

describe.each(JSON_PROTOCOLS)('JSON bodies over %s', (protocol) => {
  const send = (method: DescMethod, text: string, opts: CallOpts & { pathValues?: JsonObject } = {}) =>
    sendJsonText(protocol, app.url, method, text, { token: app.token, ...opts });

  test.each([
    ['text that is not JSON', '{"userName": "a",'],
    ['a string field given a number', '{"userName": 5, "name": "x"}'],
    ['an empty user name under its proto name', '{"user_name": "", "name": "x"}'],
  ])('%s is INVALID_ARGUMENT (HTTP 400)', async (_case, text) => {
    expectCode(await send(mgmt.addMachineUser, text), Code.InvalidArgument);
  });

  test('a timestamp that is not RFC 3339 is INVALID_ARGUMENT (HTTP 400)', async () => {
    const text = JSON.stringify({ userId: 'whoever', expirationDate: 'tomorrow' });
    const result = await send(mgmt.addPersonalAccessToken, text, { pathValues: { userId: 'whoever' } });
    expectCode(result, Code.InvalidArgument);
  });

  test('unknown fields are ignored', async () => {
    const userName = uniqueName(`${protocol}-unknown`);
    const result = await send(mgmt.addMachineUser, JSON.stringify({ userName, name: 'x', notAField: { deep: [1] } }));
    expect(expectOk(result).userId).toEqual(expect.any(String));
  });

  test('proto field names and JSON names are both accepted', async () => {
    for (const body of [
      { user_name: uniqueName(`${protocol}-proto`), name: 'x', access_token_type: 'ACCESS_TOKEN_TYPE_JWT' },
      { userName: uniqueName(`${protocol}-json`), name: 'x', accessTokenType: 'ACCESS_TOKEN_TYPE_JWT' },
    ]) {
      expect(expectOk(await send(mgmt.addMachineUser, JSON.stringify(body))).userId).toEqual(expect.any(String));
    }
  });
});

describe('REST specifics', () => {
  test('a JSON body that is not an object is INVALID_ARGUMENT (HTTP 400)', async () => {
    for (const text of ['[]', '"x"', '42', 'null']) {
      expectCode(await sendJsonText('rest', app.url, mgmt.addMachineUser, text, { token: app.token }), Code.InvalidArgument);
    }
  });

  test('path variables win over the same field in the body', async () => {
    const caller = createCaller('connect-json', app.url);
    try {
      const { userId } = expectOk(
        await caller.call(mgmt.addMachineUser, { userName: uniqueName('rest-path'), name: 'x' }, { token: app.token }),
      ) as { userId: string };
      const text = JSON.stringify({ userId: 'someone-else' });
      const pat = expectOk(
        await sendJsonText('rest', app.url, mgmt.addPersonalAccessToken, text, { token: app.token, pathValues: { userId } }),
      );
      const listed = expectOk(await caller.call(mgmt.listPersonalAccessTokens, { userId }, { token: app.token }));
      expect(resultOf(listed).map((t) => t.id)).toEqual([pat.tokenId]);
    } finally {
      caller.close();
    }
  });
});

describe('request size limit', () => {
  let small: TestApp;
  beforeAll(async () => {
    small = await startTestApp({ maxRequestBytes: 2048 });
  });
  afterAll(async () => {
    await small?.close();
  });

  test.each(PROTOCOLS)('a request over maxRequestBytes is RESOURCE_EXHAUSTED over %s (REST: HTTP 413)', async (protocol) => {
    const caller = createCaller(protocol, small.url);
    try {
      const result = await caller.call(
        mgmt.addMachineUser,
        { userName: uniqueName('big'), name: 'x'.repeat(4096) },
        { token: small.token },
      );
      expect(result).toMatchObject({ ok: false, code: Code.ResourceExhausted });
      if (protocol === 'rest') expect(result).toMatchObject({ httpStatus: 413 });
    } finally {
      caller.close();
    }
  });
});
