import { randomUUID } from 'node:crypto';
import type { CreateIdentityBody, IdentityApi } from '@ory/kratos-client';
import { startTestApp, type TestApp } from '../support/app.js';
import { identityBody as body, kratosClient, kratosHashes, statusOf, totpUrl, unique } from '../support/kratos.js';

/**
 * Kratos' admin identity API, called with Ory's own generated client (`@ory/kratos-client`)
 * against a running idport: creating identities one at a time and in batches, their errors,
 * the batch limits and the hash families (reads, updates and deletes: kratos-identity-reads.test.ts).
 */
let app: TestApp;
let kratos: IdentityApi;

beforeAll(async () => {
  app = await startTestApp();
  kratos = kratosClient(app.url, app.token);
});
afterAll(() => app.close());

async function rest(path: string, init: { body?: unknown } = {}) {
  const res = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('POST /admin/identities (createIdentity)', () => {
  test('creates an identity: 201, the identity, its Location; credentials listed without their config', async () => {
    const email = `ada-${unique()}@example.com`;
    const hash = kratosHashes('secret').bcrypt as string;
    const res = await kratos.createIdentity({
      createIdentityBody: body(email, {
        credentials: {
          password: { config: { hashed_password: hash } },
          oidc: { config: { providers: [{ provider: 'google', subject: `g-${email}` }] } },
          totp: { config: { totp_url: totpUrl(email) } },
        } as NonNullable<CreateIdentityBody['credentials']>,
        verifiable_addresses: [{ value: email, verified: true, via: 'email', status: 'completed' }],
        recovery_addresses: [{ value: email, via: 'email' }],
        metadata_public: { plan: 'pro' },
        metadata_admin: { note: 'vip' },
        external_id: `ext-${email}`,
      }),
    });
    expect(res.status).toBe(201);
    // google names no IdP here: kept and reported, not a user link (a link must name an existing IdP).
    expect(JSON.parse(String(res.headers['x-idport-not-carried']))).toEqual([
      expect.stringMatching(
        /^credentials\.oidc provider google: not carried as a user link \(organization \S+ has no identity provider google\); kept in kratos\.identity$/,
      ),
    ]);
    const identity = res.data;
    expect(identity.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.location).toBe(`${app.url}/admin/identities/${identity.id}`);
    expect(identity).toMatchObject({
      schema_id: 'default',
      state: 'active',
      traits: { email, name: { first: 'Ada', last: 'Lovelace' } },
      metadata_public: { plan: 'pro' },
      metadata_admin: { note: 'vip' },
      external_id: `ext-${email}`,
      organization_id: null,
      recovery_addresses: [{ value: email, via: 'email' }],
      verifiable_addresses: [{ value: email, verified: true, via: 'email', status: 'completed' }],
    });
    expect(Object.keys(identity.credentials ?? {}).sort()).toEqual(['oidc', 'password', 'totp']);
    for (const cred of Object.values(identity.credentials ?? {})) expect(cred.config).toBeUndefined();

    // include_credential brings the secrets back exactly as they came.
    const full = await kratos.getIdentity({ id: identity.id, includeCredential: ['password', 'totp', 'oidc'] });
    expect(full.data.credentials?.password?.config).toEqual({ hashed_password: hash });
    expect(full.data.credentials?.totp?.config).toEqual({ totp_url: totpUrl(email) });
    expect(full.data.credentials?.oidc?.config).toEqual({ providers: [{ provider: 'google', subject: `g-${email}` }] });
  });

  test('OIDC providers: one naming an IdP of the org becomes a user link, one naming none is kept, reported and returned', async () => {
    const orgId = `kratos-idp-${unique()}`;
    const idpId = `corp-${unique()}`;
    const imported = await rest('/admin/v1/import', {
      body: {
        dataOrgs: {
          orgs: [
            {
              orgId,
              org: { name: `Org ${orgId}` },
              oidcIdps: [{ idpId, idp: { name: 'Corp', issuer: 'https://sso.example', clientId: 'c' } }],
            },
          ],
        },
      },
    });
    expect({ status: imported.status, errors: imported.json.errors ?? [] }).toEqual({ status: 200, errors: [] });

    const email = `links-${unique()}@example.com`;
    const providers = [
      { provider: 'unknown-sso', subject: `u-${email}` },
      { provider: idpId, subject: `c-${email}` },
    ];
    const res = await kratos.createIdentity({
      createIdentityBody: body(email, { organization_id: orgId, credentials: { oidc: { config: { providers } } } }),
    });
    expect(res.status).toBe(201);
    expect(JSON.parse(String(res.headers['x-idport-not-carried']))).toEqual([
      `credentials.oidc provider unknown-sso: not carried as a user link (organization ${orgId} has no identity provider unknown-sso); kept in kratos.identity`,
    ]);
    const full = await kratos.getIdentity({ id: res.data.id, includeCredential: ['oidc'] });
    expect(full.data.credentials?.oidc).toMatchObject({
      identifiers: [`unknown-sso:u-${email}`, `${idpId}:c-${email}`],
      config: { providers },
    });

    // In ZITADEL's data only the provider with an IdP is a user link.
    const exported = await rest('/admin/v1/export', { body: { org_ids: [orgId], response_output: true } });
    const org = (exported.json.orgs as { userLinks?: unknown[] }[])[0];
    expect(org?.userLinks).toEqual([{ userId: res.data.id, idpId, providedUserId: `c-${email}`, providedUserName: email }]);

    // An update keeps both (providers are merged), and reports the unknown one again.
    const updated = await kratos.updateIdentity({
      id: res.data.id,
      updateIdentityBody: { schema_id: 'default', state: 'active', traits: full.data.traits },
    });
    expect(JSON.parse(String(updated.headers['x-idport-not-carried']))).toHaveLength(1);
    expect((await kratos.getIdentity({ id: res.data.id, includeCredential: ['oidc'] })).data.credentials?.oidc?.config).toEqual({
      providers,
    });
  });

  test('a plaintext password is hashed (bcrypt) and the hash, not the password, is listed', async () => {
    const res = await kratos.createIdentity({
      createIdentityBody: body(`plain-${unique()}@example.com`, { credentials: { password: { config: { password: 'pw-123456' } } } }),
    });
    const full = await kratos.getIdentity({ id: res.data.id, includeCredential: ['password'] });
    const config = full.data.credentials?.password?.config as { hashed_password: string };
    expect(config.hashed_password).toMatch(/^\$2[ab]\$04\$/);
    expect(JSON.stringify(full.data)).not.toContain('pw-123456');
  });

  test('the same email twice is 409 with Kratos’ error object; invalid input is 400', async () => {
    const email = `dup-${unique()}@example.com`;
    await kratos.createIdentity({ createIdentityBody: body(email) });
    const conflict = await statusOf(kratos.createIdentity({ createIdentityBody: body(email) }));
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({
      error: { code: 409, status: 'Conflict', message: expect.any(String), reason: expect.any(String) },
    });

    for (const invalid of [
      { traits: { email: 'x@example.com' } },
      { schema_id: 'default', traits: { email: 'not-an-email' } },
      { schema_id: 'default', traits: { name: 'no email' } },
      { schema_id: 'default', traits: { email: `s-${unique()}@example.com` }, state: 'deleted' },
      {
        schema_id: 'default',
        traits: { email: `h-${unique()}@example.com` },
        credentials: { password: { config: { hashed_password: 'nope' } } },
      },
      { schema_id: 'default', traits: { email: `u-${unique()}@example.com` }, surprise: true },
    ]) {
      const res = await statusOf(kratos.createIdentity({ createIdentityBody: invalid as unknown as CreateIdentityBody }));
      expect({ invalid, status: res.status }).toEqual({ invalid, status: 400 });
      expect(res.body).toMatchObject({ error: { code: 400, status: 'Bad Request' } });
    }
    const notJson = await fetch(`${app.url}/admin/identities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.token}` },
      body: '{',
    });
    expect(notJson.status).toBe(400);
  });

  test.each(Object.keys(kratosHashes('x')))('every Kratos hash family is kept as it came: %s', async (family) => {
    const hash = kratosHashes('correct horse')[family] as string;
    const res = await kratos.createIdentity({
      createIdentityBody: body(`${family}-${unique()}@example.com`, { credentials: { password: { config: { hashed_password: hash } } } }),
    });
    const full = await kratos.getIdentity({ id: res.data.id, includeCredential: ['password'] });
    expect(full.data.credentials?.password?.config).toEqual({ hashed_password: hash });
  });
});

describe('PATCH /admin/identities (batchPatchIdentities)', () => {
  test('each patch answers create or error (409 conflict, 400 invalid), correlated by patch_id', async () => {
    const taken = `taken-${unique()}@example.com`;
    await kratos.createIdentity({ createIdentityBody: body(taken) });
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const fresh = `fresh-${unique()}@example.com`;
    const res = await kratos.batchPatchIdentities({
      patchIdentitiesBody: {
        identities: [
          { patch_id: ids[0], create: body(fresh, { credentials: { password: { config: { password: 'pw-secret' } } } }) },
          { patch_id: ids[1], create: body(taken) },
          { patch_id: ids[2], create: { schema_id: 'default', traits: { email: 'broken' } } },
          {
            patch_id: ids[3],
            create: body(`oidc-${unique()}@example.com`, {
              credentials: { webauthn: { config: {} } } as NonNullable<CreateIdentityBody['credentials']>,
            }),
          },
        ],
      },
    });
    expect(res.status).toBe(200);
    const [created, conflict, invalid, partial] = res.data.identities ?? [];
    expect(created).toMatchObject({ patch_id: ids[0], action: 'create', identity: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(conflict).toMatchObject({ patch_id: ids[1], action: 'error', error: { code: 409 } });
    expect(invalid).toMatchObject({ patch_id: ids[2], action: 'error', error: { code: 400 } });
    // What a ZITADEL user cannot hold is named, not silently dropped.
    expect(partial).toMatchObject({ patch_id: ids[3], action: 'create', idport_not_carried: [expect.stringContaining('webauthn')] });
    const got = await kratos.getIdentity({ id: String(created?.identity) });
    expect(got.data.traits).toEqual({ email: fresh, name: { first: 'Ada', last: 'Lovelace' } });
  });

  test('over 1,000 identities, or over 200 with plaintext passwords, the whole request is 400 and nothing is written', async () => {
    const tag = unique();
    const many = Array.from({ length: 1001 }, (_, i) => ({ create: body(`many-${tag}-${i}@example.com`) }));
    const tooMany = await statusOf(kratos.batchPatchIdentities({ patchIdentitiesBody: { identities: many } }));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ error: { code: 400, reason: expect.stringContaining('1000') } });

    const plain = Array.from({ length: 201 }, (_, i) => ({
      create: body(`plain-${tag}-${i}@example.com`, { credentials: { password: { config: { password: 'pw' } } } }),
    }));
    const tooManyPlain = await statusOf(kratos.batchPatchIdentities({ patchIdentitiesBody: { identities: plain } }));
    expect(tooManyPlain.status).toBe(400);
    expect(tooManyPlain.body).toMatchObject({ error: { reason: expect.stringContaining('200') } });

    for (const email of [`many-${tag}-0@example.com`, `plain-${tag}-0@example.com`]) {
      expect((await kratos.listIdentities({ credentialsIdentifier: email })).data).toEqual([]);
    }
    // Exactly at the limits is fine: 200 plaintext passwords among 1,000 identities.
    const atLimit = Array.from({ length: 1000 }, (_, i) => ({
      create: body(`limit-${tag}-${i}@example.com`, i < 200 ? { credentials: { password: { config: { password: 'pw' } } } } : {}),
    }));
    const ok = await kratos.batchPatchIdentities({ patchIdentitiesBody: { identities: atLimit } });
    expect(ok.data.identities?.filter((i) => i.action === 'create')).toHaveLength(1000);
  });
});
