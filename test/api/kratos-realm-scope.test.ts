import { randomUUID } from 'node:crypto';
import type { IdentityApi } from '@ory/kratos-client';
import { startTestApp, type TestApp } from '../support/app.js';
import { kratosClient, statusOf } from '../support/kratos.js';
import { acmeRealm } from '../support/realm.js';
import { makeRoleHolder } from '../support/roles.js';

/**
 * Org-scoped roles on the Kratos and realm APIs: an ORG_OWNER or ORG_USER_MANAGER of org A
 * reaches identities of org A only (Kratos' organization_id), never those of org B or a user
 * holding an instance-level role; a realm is an org, so realm export and import need rights on
 * that org. Others' identities are answered as not found (their existence is not disclosed).
 */
let app: TestApp;
let admin: IdentityApi;
const tag = randomUUID().slice(0, 8);
const realmA = `scope-a-${tag}`;
const realmB = `scope-b-${tag}`;
let owner: { token: string; kratos: IdentityApi };
let manager: { token: string; kratos: IdentityApi };
let inA: string;
let inB: string;
let iamHolderInA: string;

async function call(path: string, token: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(`${app.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : null) as Record<string, unknown> };
}

const identityIn = async (org: string) =>
  (
    await admin.createIdentity({
      createIdentityBody: { schema_id: 'default', traits: { email: `s-${randomUUID().slice(0, 8)}@example.com` }, organization_id: org },
    })
  ).data.id;

beforeAll(async () => {
  app = await startTestApp();
  admin = kratosClient(app.url, app.token);
  expect((await call('/admin/realms/import', app.token, { body: acmeRealm(realmA) })).status).toBe(201);
  expect((await call('/admin/realms/import', app.token, { body: { ...acmeRealm(realmB), users: [] } })).status).toBe(201);
  const o = await makeRoleHolder(app, { org: { roles: ['ORG_OWNER'], orgId: realmA } });
  const m = await makeRoleHolder(app, { org: { roles: ['ORG_USER_MANAGER'], orgId: realmA } });
  owner = { token: o.token, kratos: kratosClient(app.url, o.token) };
  manager = { token: m.token, kratos: kratosClient(app.url, m.token) };
  inA = await identityIn(realmA);
  inB = await identityIn(realmB);
  iamHolderInA = await identityIn(realmA);
  expect((await call('/admin/v1/members', app.token, { body: { userId: iamHolderInA, roles: ['IAM_OWNER_VIEWER'] } })).status).toBe(200);
});
afterAll(() => app.close());

describe('Kratos identity API, as an org role of org A', () => {
  test.each([
    ['ORG_OWNER', () => owner],
    ['ORG_USER_MANAGER', () => manager],
  ])('%s lists and gets only org A identities without instance roles', async (_role, who) => {
    const { kratos } = who();
    const listed = (await kratos.listIdentities({ pageSize: 500 })).data.map((i) => i.id);
    expect(listed).toContain(inA);
    expect(listed).not.toContain(inB);
    expect(listed).not.toContain(iamHolderInA);
    const inOrg = (await kratos.listIdentities({ organizationId: realmA })).data.map((i) => i.id);
    expect(inOrg).toContain(inA);
    expect((await statusOf(kratos.listIdentities({ organizationId: realmB }))).status).toBe(403);
    expect((await kratos.getIdentity({ id: inA })).data.id).toBe(inA);
    expect((await statusOf(kratos.getIdentity({ id: inB }))).status).toBe(404);
    expect((await statusOf(kratos.getIdentity({ id: iamHolderInA }))).status).toBe(403);
    // Hashes and TOTP secrets are for instance roles only.
    expect((await statusOf(kratos.getIdentity({ id: inA, includeCredential: ['password'] }))).status).toBe(403);
  });

  test('creates in org A only: another org, or the default org, is 403; batch items answer 403 each', async () => {
    const email = () => `c-${randomUUID().slice(0, 8)}@example.com`;
    const created = await manager.kratos.createIdentity({
      createIdentityBody: { schema_id: 'default', traits: { email: email() }, organization_id: realmA },
    });
    expect(created.status).toBe(201);
    for (const org of [realmB, undefined]) {
      const res = await statusOf(
        manager.kratos.createIdentity({
          createIdentityBody: { schema_id: 'default', traits: { email: email() }, ...(org ? { organization_id: org } : {}) },
        }),
      );
      expect(res).toMatchObject({ status: 403, body: { error: { code: 403, status: 'Forbidden' } } });
    }
    const batch = await manager.kratos.batchPatchIdentities({
      patchIdentitiesBody: {
        identities: [
          { patch_id: randomUUID(), create: { schema_id: 'default', traits: { email: email() }, organization_id: realmA } },
          { patch_id: randomUUID(), create: { schema_id: 'default', traits: { email: email() }, organization_id: realmB } },
        ],
      },
    });
    expect(batch.data.identities?.map((i) => [i.action, i.error?.code])).toEqual([
      ['create', undefined],
      ['error', 403],
    ]);
    expect((await admin.listIdentities({ organizationId: realmB })).data.map((i) => i.id)).toEqual([inB]);
  });

  test('update, patch, credential and delete reach org A; org B is 404, an instance-role holder 403', async () => {
    const { kratos } = owner;
    const body = { schema_id: 'default', state: 'active' as const, traits: { email: `u-${randomUUID().slice(0, 8)}@example.com` } };
    expect((await kratos.updateIdentity({ id: inA, updateIdentityBody: body })).status).toBe(200);
    expect((await kratos.patchIdentity({ id: inA, jsonPatch: [{ op: 'add', path: '/metadata_admin', value: { x: 1 } }] })).status).toBe(
      200,
    );
    for (const [id, status] of [
      [inB, 404],
      [iamHolderInA, 403],
    ] as const) {
      expect((await statusOf(kratos.updateIdentity({ id, updateIdentityBody: body }))).status).toBe(status);
      expect((await statusOf(kratos.patchIdentity({ id, jsonPatch: [{ op: 'add', path: '/traits/x', value: 1 }] }))).status).toBe(status);
      expect((await statusOf(kratos.deleteIdentityCredentials({ id, type: 'totp' }))).status).toBe(status);
      expect((await statusOf(kratos.deleteIdentity({ id }))).status).toBe(status);
    }
    expect((await admin.getIdentity({ id: inB })).data.traits).not.toHaveProperty('x');
    const doomed = await identityIn(realmA);
    expect((await manager.kratos.deleteIdentity({ id: doomed })).status).toBe(204);
  });
});

describe('realm API, as an org role of org A (= realm A)', () => {
  test('ORG_OWNER exports and re-imports its realm; not another realm, nor a new one, nor hashes', async () => {
    const exported = await call(`/admin/realms/${realmA}/export`, owner.token);
    expect(exported.status).toBe(200);
    expect(exported.json.realm).toBe(realmA);
    expect((await call(`/admin/realms/${realmA}/export?exportHashes=true`, owner.token)).status).toBe(403);
    expect((await call(`/admin/realms/${realmB}/export`, owner.token)).status).toBe(403);
    const again = await call('/admin/realms/import', owner.token, { body: acmeRealm(realmA) });
    expect(again).toMatchObject({ status: 200, json: { status: 'unchanged' } });
    expect((await call('/admin/realms/import', owner.token, { body: { ...acmeRealm(realmB), users: [] } })).status).toBe(403);
    expect((await call('/admin/realms/import', owner.token, { body: { ...acmeRealm(`new-${tag}`), users: [] } })).status).toBe(403);
  });

  test('ORG_USER_MANAGER exports and imports its realm’s users only', async () => {
    expect((await call(`/admin/realms/${realmA}/users/export`, manager.token)).status).toBe(200);
    expect((await call(`/admin/realms/${realmA}/clients/export`, manager.token)).status).toBe(403);
    expect((await call(`/admin/realms/${realmB}/users/export`, manager.token)).status).toBe(403);
    const users = [{ username: `carol-${tag}`, email: `carol-${tag}@acme.test`, enabled: true }];
    const imported = await call(`/admin/realms/${realmA}/users/import`, manager.token, { body: { users } });
    expect(imported).toMatchObject({ status: 200, json: { added: 1 } });
    expect((await call(`/admin/realms/${realmB}/users/import`, manager.token, { body: { users } })).status).toBe(403);
    // Clients brought along change the realm's configuration: not a user manager's to do.
    const withClient = { users: [], clients: [{ clientId: `c-${tag}`, protocol: 'openid-connect', publicClient: true }] };
    expect((await call(`/admin/realms/${realmA}/users/import`, manager.token, { body: withClient })).status).toBe(403);
    expect((await call('/admin/realms/import', manager.token, { body: acmeRealm(realmA) })).status).toBe(403);
  });
});

describe('a realm user holding an instance-level role', () => {
  test('org roles cannot change it through realm imports: users import answers it failed, a realm import is 403', async () => {
    const [alice] = (await admin.listIdentities({ credentialsIdentifier: 'alice@acme.test' })).data;
    expect(alice).toBeDefined();
    const aliceId = alice?.id as string;
    expect((await call('/admin/v1/members', app.token, { body: { userId: aliceId, roles: ['IAM_OWNER_VIEWER'] } })).status).toBe(200);
    const changed = { ...acmeRealm(realmA).users[0], lastName: 'Changed' };

    const merged = await call(`/admin/realms/${realmA}/users/import?mergeUsers=true`, manager.token, { body: { users: [changed] } });
    expect(merged.status).toBe(200);
    expect(merged.json).toMatchObject({
      overwritten: 0,
      failed: [{ type: 'human_user', id: aliceId, message: expect.stringContaining('instance-level role') }],
    });
    const realm = { ...acmeRealm(realmA), users: [changed, ...acmeRealm(realmA).users.slice(1)] };
    const whole = await call('/admin/realms/import?overwrite=true', owner.token, { body: realm });
    expect(whole.status).toBe(403);
    expect(whole.json.errorMessage).toContain('instance-level role');
    expect((await admin.getIdentity({ id: aliceId })).data.traits).toMatchObject({ name: { last: 'Liddell' } });

    // An instance role changes it.
    expect((await call('/admin/realms/import?overwrite=true', app.token, { body: realm })).json.status).toBe('updated');
  });
});
