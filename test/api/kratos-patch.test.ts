import { randomUUID } from 'node:crypto';
import type { CreateIdentityBody, IdentityApi, JsonPatch } from '@ory/kratos-client';
import { startTestApp, type TestApp } from '../support/app.js';
import { kratosClient, kratosHashes, statusOf, totpUrl } from '../support/kratos.js';

/**
 * Kratos' patchIdentity (RFC 6902 on one identity), deleteIdentityCredentials and the identity
 * session endpoints, called with Ory's generated client (`@ory/kratos-client`), against the
 * rules ory/kratos `identity/handler.go` applies (denied paths, allowed ops, state, last factor).
 */
let app: TestApp;
let kratos: IdentityApi;

beforeAll(async () => {
  app = await startTestApp();
  kratos = kratosClient(app.url, app.token);
});
afterAll(() => app.close());

const unique = () => randomUUID().slice(0, 8);
const hash = kratosHashes('secret').bcrypt as string;

async function identity(extra: Partial<CreateIdentityBody> = {}) {
  const email = `patch-${unique()}@example.com`;
  const { data } = await kratos.createIdentity({
    createIdentityBody: {
      schema_id: 'default',
      traits: { email, name: { first: 'Ada', last: 'Lovelace' } },
      credentials: { password: { config: { hashed_password: hash } } },
      metadata_public: { plan: 'free' },
      ...extra,
    },
  });
  return { id: data.id, email, created: data };
}

const patch = (id: string, jsonPatch: JsonPatch[]) => kratos.patchIdentity({ id, jsonPatch });

describe('PATCH /admin/identities/{id} (patchIdentity)', () => {
  test('add, replace and remove change the identity; 200 with it; the change is stored', async () => {
    const { id, created } = await identity();
    const res = await patch(id, [
      { op: 'replace', path: '/traits/name/first', value: 'Grace' },
      // replace of an absent member adds it, add creates missing parents (Kratos' tolerance).
      { op: 'replace', path: '/metadata_admin', value: { crm: 'C-1' } },
      { op: 'add', path: '/traits/address/city', value: 'London' },
      { op: 'remove', path: '/metadata_public' },
    ]);
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({
      id,
      state: 'active',
      traits: { name: { first: 'Grace', last: 'Lovelace' }, address: { city: 'London' } },
      metadata_admin: { crm: 'C-1' },
      created_at: created.created_at,
    });
    expect(res.data.metadata_public ?? null).toBeNull();
    // Credentials answer without their config, as Kratos' patch response does.
    expect(res.data.credentials?.password?.config).toBeUndefined();
    const stored = await kratos.getIdentity({ id, includeCredential: ['password'] });
    expect(stored.data.traits).toEqual(res.data.traits);
    expect(stored.data.credentials?.password?.config).toEqual({ hashed_password: hash });
  });

  test('a state change is checked and stamps state_changed_at', async () => {
    const { id, created } = await identity();
    await new Promise((r) => setTimeout(r, 5));
    const res = await patch(id, [{ op: 'replace', path: '/state', value: 'inactive' }]);
    expect(res.data.state).toBe('inactive');
    expect(Date.parse(String(res.data.state_changed_at))).toBeGreaterThan(Date.parse(String(created.state_changed_at)));
    const bad = await statusOf(patch(id, [{ op: 'replace', path: '/state', value: 'asleep' }]));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: { code: 400, reason: expect.stringContaining("The supplied state ('asleep') was not valid") },
    });
  });

  test('the password hash can be replaced through /credentials/password/config', async () => {
    const { id } = await identity();
    const other = kratosHashes('other').argon2id as string;
    await patch(id, [{ op: 'replace', path: '/credentials/password/config/hashed_password', value: other }]);
    const stored = await kratos.getIdentity({ id, includeCredential: ['password'] });
    expect(stored.data.credentials?.password?.config).toEqual({ hashed_password: other });
  });

  test.each([
    ['/id', 'patch includes denied path: /id'],
    ['/credentials', 'patch includes denied path: /credentials'],
    ['/credentials/oidc', 'patch includes denied path: /credentials/oidc'],
    ['/credentials/oidc/config/providers', 'patch includes denied path: /credentials/oidc/config/providers'],
    ['/ID', 'patch includes denied path: /ID'],
  ])('%s may not be patched: 400 "failed to apply JSON patch", nothing changes', async (path, message) => {
    const { id } = await identity();
    const res = await statusOf(patch(id, [{ op: 'replace', path, value: 'x' }]));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 400, status: 'Bad Request', reason: 'failed to apply JSON patch', message } });
    expect((await kratos.getIdentity({ id })).data.id).toBe(id);
  });

  test('move, copy and test are refused; a broken patch is 400; the whole patch or nothing', async () => {
    const { id } = await identity();
    for (const op of ['move', 'copy', 'test']) {
      const res = await statusOf(patch(id, [{ op, path: '/traits/x', from: '/traits/email', value: 1 }]));
      expect(res.body).toMatchObject({ error: { code: 400, message: `unsupported operation: ${op}` } });
    }
    // The second operation fails (nothing to remove): the first is not kept either.
    const res = await statusOf(
      patch(id, [
        { op: 'replace', path: '/traits/name/first', value: 'Changed' },
        { op: 'remove', path: '/traits/nothing/here' },
      ]),
    );
    expect(res.status).toBe(400);
    expect((await kratos.getIdentity({ id })).data.traits).toMatchObject({ name: { first: 'Ada' } });
    const notArray = await fetch(`${app.url}/admin/identities/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ op: 'add' }),
    });
    expect(notArray.status).toBe(400);
  });

  test('a credential whose type differs from its key is 400; invalid traits are 400; an unknown id is 404', async () => {
    const { id } = await identity();
    const mismatch = await statusOf(patch(id, [{ op: 'replace', path: '/credentials/password/type', value: 'totp' }]));
    expect(mismatch.body).toMatchObject({ error: { code: 400, reason: 'credentials.password.type must equal "password", got "totp"' } });
    const noEmail = await statusOf(patch(id, [{ op: 'replace', path: '/traits', value: 'not an object' }]));
    expect(noEmail.status).toBe(400);
    expect((await statusOf(patch(randomUUID(), [{ op: 'add', path: '/traits/x', value: 1 }]))).status).toBe(404);
  });

  test('renaming onto a taken email is 409', async () => {
    const a = await identity();
    const b = await identity();
    const res = await statusOf(patch(b.id, [{ op: 'replace', path: '/traits/email', value: a.email }]));
    expect(res.status).toBe(409);
  });
});

describe('DELETE /admin/identities/{id}/credentials/{type} (deleteIdentityCredentials)', () => {
  test('totp goes; then it is not set up (404)', async () => {
    const email = `totp-${unique()}@example.com`;
    const { id } = await identity({
      // The generated type lacks totp, which Kratos' import accepts (credentials.totp.config.totp_url).
      credentials: { password: { config: { hashed_password: hash } }, totp: { config: { totp_url: totpUrl(email) } } } as NonNullable<
        CreateIdentityBody['credentials']
      >,
    });
    expect((await kratos.deleteIdentityCredentials({ id, type: 'totp' })).status).toBe(204);
    const after = await kratos.getIdentity({ id, includeCredential: ['totp', 'password'] });
    expect(after.data.credentials?.totp).toBeUndefined();
    expect(after.data.credentials?.password?.config).toEqual({ hashed_password: hash });
    const again = await statusOf(kratos.deleteIdentityCredentials({ id, type: 'totp' }));
    expect(again).toMatchObject({
      status: 404,
      body: { error: { reason: 'You tried to remove a totp but this user have no totp set up.' } },
    });
  });

  test('the last first factor stays (400); with an OIDC provider beside it the password goes', async () => {
    const only = await identity();
    const last = await statusOf(kratos.deleteIdentityCredentials({ id: only.id, type: 'password' }));
    expect(last).toMatchObject({ status: 400, body: { error: { reason: 'You cannot remove the last first factor credential.' } } });

    const subject = `s-${unique()}`;
    const both = await identity({
      credentials: {
        password: { config: { hashed_password: hash } },
        oidc: { config: { providers: [{ provider: 'nowhere', subject }] } },
      },
    });
    expect((await kratos.deleteIdentityCredentials({ id: both.id, type: 'password' })).status).toBe(204);
    const after = await kratos.getIdentity({ id: both.id, includeCredential: ['password', 'oidc'] });
    expect(after.data.credentials?.password).toBeUndefined();
    expect(after.data.credentials?.oidc?.identifiers).toEqual([`nowhere:${subject}`]);
    // Now the provider is the last first factor.
    const lastOidc = await statusOf(kratos.deleteIdentityCredentials({ id: both.id, type: 'oidc', identifier: `nowhere:${subject}` }));
    expect(lastOidc.status).toBe(400);
  });

  test('an OIDC provider needs its identifier; an unknown one is 404; a kept provider goes', async () => {
    const subject = `s-${unique()}`;
    const { id } = await identity({
      credentials: {
        password: { config: { hashed_password: hash } },
        oidc: { config: { providers: [{ provider: 'nowhere', subject }] } },
      },
    });
    const none = await statusOf(kratos.deleteIdentityCredentials({ id, type: 'oidc' }));
    expect(none.body).toMatchObject({ error: { code: 400, reason: 'You must provide an identifier to delete this credential.' } });
    const unknown = await statusOf(kratos.deleteIdentityCredentials({ id, type: 'oidc', identifier: 'nowhere:other' }));
    expect(unknown.status).toBe(404);
    expect((await kratos.deleteIdentityCredentials({ id, type: 'oidc', identifier: `nowhere:${subject}` })).status).toBe(204);
    const after = await kratos.getIdentity({ id, includeCredential: ['oidc'] });
    expect(after.data.credentials?.oidc).toBeUndefined();
  });

  test('a provider that became a user link (an IdP of the org) is not deleted here: 400, the link stays', async () => {
    const orgId = `kp-${unique()}`;
    const idpId = `corp-${unique()}`;
    const imported = await fetch(`${app.url}/admin/v1/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        dataOrgs: {
          orgs: [
            {
              orgId,
              org: { name: `Org ${orgId}` },
              oidcIdps: [{ idpId, idp: { name: 'Corp', issuer: 'https://sso.example', clientId: 'c' } }],
            },
          ],
        },
      }),
    });
    expect(imported.status).toBe(200);
    const subject = `s-${unique()}`;
    const { id } = await identity({
      organization_id: orgId,
      credentials: { password: { config: { hashed_password: hash } }, oidc: { config: { providers: [{ provider: idpId, subject }] } } },
    });
    const res = await statusOf(kratos.deleteIdentityCredentials({ id, type: 'oidc', identifier: `${idpId}:${subject}` }));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { reason: expect.stringContaining('identity provider link') } });
    expect((await kratos.getIdentity({ id, includeCredential: ['oidc'] })).data.credentials?.oidc?.identifiers).toEqual([
      `${idpId}:${subject}`,
    ]);
  });

  test('types idport does not hold are 404 (none set up); an unknown type and an unknown identity are 400 and 404', async () => {
    const { id } = await identity();
    expect((await statusOf(kratos.deleteIdentityCredentials({ id, type: 'webauthn' }))).status).toBe(404);
    const bogus = await fetch(`${app.url}/admin/identities/${id}/credentials/bogus`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${app.token}` },
    });
    expect(bogus.status).toBe(400);
    expect((await statusOf(kratos.deleteIdentityCredentials({ id: randomUUID(), type: 'totp' }))).status).toBe(404);
  });
});

describe('identity sessions', () => {
  test('idport holds none: the list is empty, revoking them is 204; an unknown identity is 404', async () => {
    const { id } = await identity();
    const list = await kratos.listIdentitySessions({ id });
    expect(list.status).toBe(200);
    expect(list.data).toEqual([]);
    expect((await kratos.deleteIdentitySessions({ id })).status).toBe(204);
    expect((await statusOf(kratos.deleteIdentitySessions({ id: randomUUID() }))).status).toBe(404);
    expect((await statusOf(kratos.listIdentitySessions({ id: randomUUID() }))).status).toBe(404);
  });
});
