import type { DescMethod, JsonObject } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { ManagementService } from '../../gen/zitadel/management_pb.js';
import { createTestClock, startTestApp, type TestApp } from '../support/app.js';
import { type Caller, type CallOpts, type CallResult, createCaller, HTTP_STATUS, PROTOCOLS, type Protocol } from '../support/protocols.js';

// The whole server on port 0, every case once per protocol (STYLE.md habit 13). One app for the
// file keeps the run short; every test makes its own users, so cases never see each other's data.
const admin = AdminService.method;
const mgmt = ManagementService.method;
const HOUR = 3_600_000;

const clock = createTestClock();
let app: TestApp;
let defaultOrgId: string;

beforeAll(async () => {
  app = await startTestApp({}, { clock });
  const caller = createCaller('connect-json', app.url);
  try {
    const orgs = expectOk(await caller.call(admin.listOrgs, {}, { token: app.token }));
    defaultOrgId = String(resultOf(orgs).find((o) => o.name === 'idport')?.id);
  } finally {
    caller.close();
  }
});

afterAll(async () => {
  await app?.close();
});

afterEach(() => clock.reset());

let sequence = 0;
/** A user name no other test (or protocol) uses. */
const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++sequence}`;

function expectOk(result: CallResult): JsonObject {
  if (!result.ok) throw new Error(`expected success, got ${Code[result.code]}: ${result.message}`);
  return result.json;
}

function resultOf(json: JsonObject): JsonObject[] {
  return (json.result ?? []) as JsonObject[];
}

/** Fails with `code`; on REST (and raw JSON calls) also with grpc-gateway's HTTP status for it. */
function expectFailure(result: CallResult, code: Code, protocol: Protocol): void {
  expect({ ok: result.ok, code: result.ok ? undefined : Code[result.code] }).toEqual({ ok: false, code: Code[code] });
  if (!result.ok && (protocol === 'rest' || result.httpStatus !== undefined)) expect(result.httpStatus).toBe(HTTP_STATUS[code]);
}

describe.each(PROTOCOLS)('over %s', (protocol) => {
  let caller: Caller;
  const call = (method: DescMethod, request: JsonObject = {}, opts?: CallOpts) => caller.call(method, request, opts);
  const asAdmin = () => ({ token: app.token });

  beforeAll(() => {
    caller = createCaller(protocol, app.url);
  });
  afterAll(() => caller.close());

  /** A machine user of the default org with a fresh PAT, optionally holding instance roles. */
  async function machineUser(roles: string[] = [], expirationDate?: string): Promise<{ userId: string; token: string; tokenId: string }> {
    const { userId } = expectOk(
      await call(mgmt.addMachineUser, { userName: uniqueName(`${protocol}-svc`), name: 'test service user' }, asAdmin()),
    ) as { userId: string };
    if (roles.length > 0) expectOk(await call(admin.addIAMMember, { userId, roles }, asAdmin()));
    const pat = expectOk(await call(mgmt.addPersonalAccessToken, { userId, ...(expirationDate ? { expirationDate } : {}) }, asAdmin())) as {
      tokenId: string;
      token: string;
    };
    return { userId, token: pat.token, tokenId: pat.tokenId };
  }

  test('Healthz needs no token, on both services', async () => {
    expect(expectOk(await call(admin.healthz))).toEqual({});
    expect(expectOk(await call(mgmt.healthz))).toEqual({});
  });

  test('ListOrgs with the bootstrap token lists the default org', async () => {
    const json = expectOk(await call(admin.listOrgs, {}, asAdmin()));
    expect(resultOf(json)).toContainEqual(expect.objectContaining({ id: defaultOrgId, name: 'idport', state: 'ORG_STATE_ACTIVE' }));
    expect(Number((json.details as JsonObject).totalResult)).toBeGreaterThanOrEqual(1);
  });

  test("the migration guide's service-user setup works end to end", async () => {
    const expirationDate = new Date(Date.now() + 24 * HOUR).toISOString().replace(/\.\d+Z$/, 'Z');

    const added = expectOk(
      await call(
        mgmt.addMachineUser,
        {
          userName: uniqueName(`${protocol}-migrator`),
          name: 'Migration',
          description: 'moves data',
          accessTokenType: 'ACCESS_TOKEN_TYPE_BEARER',
        },
        asAdmin(),
      ),
    );
    const userId = added.userId as string;
    expect(userId).toEqual(expect.any(String));
    expect(added.details).toMatchObject({ resourceOwner: defaultOrgId });

    const pat = expectOk(await call(mgmt.addPersonalAccessToken, { userId, expirationDate }, asAdmin()));
    const token = pat.token as string;
    expect(pat).toMatchObject({ tokenId: expect.any(String), token: expect.stringMatching(/^\S{20,}$/) });

    expectOk(await call(admin.addIAMMember, { userId, roles: ['IAM_OWNER'] }, asAdmin()));

    const orgs = expectOk(await call(admin.listOrgs, {}, { token }));
    expect(resultOf(orgs).map((o) => o.name)).toContain('idport');

    const listed = expectOk(await call(mgmt.listPersonalAccessTokens, { userId }, { token }));
    expect(resultOf(listed)).toEqual([expect.objectContaining({ id: pat.tokenId, expirationDate })]);
    expect((listed.details as JsonObject).totalResult).toBe('1');
    expect(JSON.stringify(listed)).not.toContain(token);

    expectOk(await call(mgmt.removePersonalAccessToken, { userId, tokenId: pat.tokenId }, asAdmin()));
    expectFailure(await call(admin.listOrgs, {}, { token }), Code.Unauthenticated, protocol);
    expect(resultOf(expectOk(await call(mgmt.listPersonalAccessTokens, { userId }, asAdmin())))).toEqual([]);

    expectOk(await call(mgmt.removeUser, { id: userId }, asAdmin()));
    expectFailure(await call(mgmt.removeUser, { id: userId }, asAdmin()), Code.NotFound, protocol);
  });

  describe('UNAUTHENTICATED', () => {
    test.each<[string, Record<string, string>]>([
      ['no authorization header', {}],
      ['a non-bearer scheme', { authorization: 'Basic x' }],
      ['a bearer header without a token', { authorization: 'Bearer ' }],
      ['an unknown token', { authorization: 'Bearer 8KmZ0TQhm2HWBbWfY0eZa0DNZ1p9Xo3bNnYb5Qx9Kk4' }],
    ])('for %s', async (_case, headers) => {
      expectFailure(await call(admin.listOrgs, {}, { headers }), Code.Unauthenticated, protocol);
      expectFailure(await call(mgmt.addMachineUser, { userName: uniqueName('x'), name: 'x' }, { headers }), Code.Unauthenticated, protocol);
    });

    test('for a removed token', async () => {
      const user = await machineUser(['IAM_OWNER']);
      expectOk(await call(admin.listOrgs, {}, { token: user.token }));
      expectOk(await call(mgmt.removePersonalAccessToken, { userId: user.userId, tokenId: user.tokenId }, asAdmin()));
      expectFailure(await call(admin.listOrgs, {}, { token: user.token }), Code.Unauthenticated, protocol);
    });

    test('for a token of a removed user', async () => {
      const user = await machineUser(['IAM_OWNER']);
      expectOk(await call(mgmt.removeUser, { id: user.userId }, asAdmin()));
      expectFailure(await call(admin.listOrgs, {}, { token: user.token }), Code.Unauthenticated, protocol);
    });

    test('for an expired token', async () => {
      const user = await machineUser(['IAM_OWNER'], new Date(Date.now() + HOUR).toISOString());
      expectOk(await call(admin.listOrgs, {}, { token: user.token }));
      clock.advance(HOUR + 1000);
      expectFailure(await call(admin.listOrgs, {}, { token: user.token }), Code.Unauthenticated, protocol);
      // The admin token lives for a year, so only the expired one is affected.
      expectOk(await call(admin.listOrgs, {}, asAdmin()));
    });
  });

  describe('PERMISSION_DENIED', () => {
    test('for a machine user without instance roles', async () => {
      const user = await machineUser();
      expectFailure(await call(admin.listOrgs, {}, { token: user.token }), Code.PermissionDenied, protocol);
      expectFailure(
        await call(admin.addIAMMember, { userId: user.userId, roles: ['IAM_OWNER'] }, { token: user.token }),
        Code.PermissionDenied,
        protocol,
      );
    });

    test('for an org (x-zitadel-orgid) the caller holds no role in', async () => {
      const user = await machineUser();
      for (const orgId of ['some-other-org', defaultOrgId]) {
        expectFailure(
          await call(mgmt.listPersonalAccessTokens, { userId: user.userId }, { token: user.token, orgId }),
          Code.PermissionDenied,
          protocol,
        );
      }
      expectFailure(
        await call(mgmt.addMachineUser, { userName: uniqueName('nope'), name: 'x' }, { token: user.token, orgId: 'some-other-org' }),
        Code.PermissionDenied,
        protocol,
      );
    });

    // As ZITADEL: PERMISSION_DENIED "Organisation doesn't exist" (AUTH-Bs7Ds), even for an instance owner.
    test('for an org (x-zitadel-orgid) that does not exist, even for an IAM_OWNER', async () => {
      const user = await machineUser(['IAM_OWNER']);
      expectFailure(
        await call(mgmt.addMachineUser, { userName: uniqueName('ghost'), name: 'x' }, { token: user.token, orgId: 'no-such-org' }),
        Code.PermissionDenied,
        protocol,
      );
    });

    test('but an IAM_OWNER may act on the default org named explicitly', async () => {
      const user = await machineUser(['IAM_OWNER']);
      const listed = expectOk(
        await call(mgmt.listPersonalAccessTokens, { userId: user.userId }, { token: user.token, orgId: defaultOrgId }),
      );
      expect(resultOf(listed).map((t) => t.id)).toEqual([user.tokenId]);
    });
  });

  describe('INVALID_ARGUMENT', () => {
    test('AddMachineUser with an empty user name', async () => {
      expectFailure(await call(mgmt.addMachineUser, { userName: '', name: 'x' }, asAdmin()), Code.InvalidArgument, protocol);
    });

    test('AddPersonalAccessToken with an expiration date in the past', async () => {
      const { userId } = await machineUser();
      const expirationDate = new Date(Date.now() - HOUR).toISOString();
      expectFailure(await call(mgmt.addPersonalAccessToken, { userId, expirationDate }, asAdmin()), Code.InvalidArgument, protocol);
    });

    test('AddIAMMember with an unknown role', async () => {
      const { userId } = await machineUser();
      expectFailure(await call(admin.addIAMMember, { userId, roles: ['NOT_A_ROLE'] }, asAdmin()), Code.InvalidArgument, protocol);
    });
  });

  test('RemoveUser of an unknown id is NOT_FOUND', async () => {
    expectFailure(await call(mgmt.removeUser, { id: 'no-such-user' }, asAdmin()), Code.NotFound, protocol);
  });

  test('RemovePersonalAccessToken of an unknown token is NOT_FOUND', async () => {
    const { userId } = await machineUser();
    expectFailure(await call(mgmt.removePersonalAccessToken, { userId, tokenId: 'no-such-token' }, asAdmin()), Code.NotFound, protocol);
  });

  test('AddMachineUser with a taken user name is ALREADY_EXISTS', async () => {
    const userName = uniqueName(`${protocol}-dup`);
    expectOk(await call(mgmt.addMachineUser, { userName, name: 'first' }, asAdmin()));
    expectFailure(await call(mgmt.addMachineUser, { userName, name: 'second' }, asAdmin()), Code.AlreadyExists, protocol);
  });
});
