import { randomUUID } from 'node:crypto';
import type { IdentityApi } from '@ory/kratos-client';
import { startTestApp, type TestApp } from '../support/app.js';
import { identityBody as body, kratosClient, kratosHashes, statusOf, tokenWithRole, unique } from '../support/kratos.js';

/**
 * Kratos' admin identity API with Ory's own client against a running idport: listing (keyset
 * pages, filters, credentials), and reading, updating and deleting one identity.
 */
let app: TestApp;
let kratos: IdentityApi;

beforeAll(async () => {
  app = await startTestApp();
  kratos = kratosClient(app.url, app.token);
});
afterAll(() => app.close());

describe('GET /admin/identities (listIdentities)', () => {
  test('keyset pagination: page_size, page_token and the Link header walk every identity once, in order', async () => {
    const tag = unique();
    const batch = await kratos.batchPatchIdentities({
      patchIdentitiesBody: { identities: Array.from({ length: 300 }, (_, i) => ({ create: body(`page-${tag}-${i}@example.com`) })) },
    });
    const created = (batch.data.identities ?? []).map((r) => String(r.identity));
    const seen: string[] = [];
    let token: string | undefined;
    for (let pages = 0; pages < 10_000; pages++) {
      const res = await kratos.listIdentities({ pageSize: 97, ...(token ? { pageToken: token } : {}) });
      expect(res.data.length).toBeLessThanOrEqual(97);
      seen.push(...res.data.map((i) => i.id));
      const link = String(res.headers.link);
      expect(link).toContain('rel="first"');
      const next = /<([^>]+)>; rel="next"/.exec(link)?.[1];
      if (!next) break;
      const url = new URL(next, app.url);
      expect(url.pathname).toBe('/admin/identities');
      expect(url.searchParams.get('page_size')).toBe('97');
      token = url.searchParams.get('page_token') ?? undefined;
    }
    expect(created).toHaveLength(300);
    expect(seen).toEqual(expect.arrayContaining(created));
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(seen);
  });

  test('filters: ids, credentials_identifier, organization_id; combining them is 400', async () => {
    const email = `filter-${unique()}@example.com`;
    const { data } = await kratos.createIdentity({ createIdentityBody: body(email) });
    expect((await kratos.listIdentities({ ids: [data.id, randomUUID()] })).data.map((i) => i.id)).toEqual([data.id]);
    expect((await kratos.listIdentities({ credentialsIdentifier: email.toUpperCase() })).data.map((i) => i.id)).toEqual([data.id]);
    expect((await kratos.listIdentities({ organizationId: randomUUID() })).data).toEqual([]);
    expect((await statusOf(kratos.listIdentities({ ids: [data.id], credentialsIdentifier: email }))).status).toBe(400);
    expect((await statusOf(kratos.listIdentities({ pageToken: 'garbage' }))).status).toBe(400);
    expect((await statusOf(kratos.listIdentities({ pageSize: 0 }))).status).toBe(400);
    expect((await statusOf(kratos.listIdentities({ includeCredential: ['passwords'] }))).status).toBe(400);
  });

  test('include_credential needs the secrets permission; reading does not; no token is 401', async () => {
    const viewer = kratosClient(app.url, await tokenWithRole(app.url, app.token, 'IAM_OWNER_VIEWER'));
    expect((await viewer.listIdentities({ pageSize: 1 })).status).toBe(200);
    const denied = await statusOf(viewer.listIdentities({ pageSize: 1, includeCredential: ['password'] }));
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: { code: 403, status: 'Forbidden' } });
    const someone = (await kratos.listIdentities({ pageSize: 1 })).data[0]?.id as string;
    expect((await statusOf(viewer.getIdentity({ id: someone, includeCredential: ['totp'] }))).status).toBe(403);
    expect((await statusOf(viewer.createIdentity({ createIdentityBody: body(`v-${unique()}@example.com`) }))).status).toBe(403);
    expect((await statusOf(viewer.deleteIdentity({ id: someone }))).status).toBe(403);

    const anonymous = kratosClient(app.url);
    const unauthenticated = await statusOf(anonymous.listIdentities({}));
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body).toMatchObject({ error: { code: 401, status: 'Unauthorized' } });
    expect((await statusOf(kratosClient(app.url, 'wrong').getIdentity({ id: someone }))).status).toBe(401);
  });
});

describe('GET, PUT and DELETE /admin/identities/{id}', () => {
  test('update replaces traits, state and metadata; password and TOTP replaced, OIDC providers added', async () => {
    const email = `upd-${unique()}@example.com`;
    const hash = kratosHashes('old').bcrypt as string;
    const { data } = await kratos.createIdentity({
      createIdentityBody: body(email, {
        credentials: {
          password: { config: { hashed_password: hash } },
          oidc: { config: { providers: [{ provider: 'github', subject: 'gh-1' }] } },
        },
        metadata_public: { a: 1 },
      }),
    });
    const newEmail = `renamed-${unique()}@example.com`;
    const updated = await kratos.updateIdentity({
      id: data.id,
      updateIdentityBody: {
        schema_id: 'default',
        state: 'inactive',
        traits: { email: newEmail, name: { first: 'Grace', last: 'Hopper' } },
        metadata_admin: { b: 2 },
        credentials: { oidc: { config: { providers: [{ provider: 'google', subject: 'g-1' }] } } },
      },
    });
    expect(updated.status).toBe(200);
    expect(updated.data).toMatchObject({
      id: data.id,
      state: 'inactive',
      traits: { email: newEmail, name: { first: 'Grace', last: 'Hopper' } },
      metadata_public: null,
      metadata_admin: { b: 2 },
      created_at: data.created_at,
    });
    const full = await kratos.getIdentity({ id: data.id, includeCredential: ['password', 'oidc'] });
    expect(full.data.credentials?.password?.config).toEqual({ hashed_password: hash });
    const providers = (full.data.credentials?.oidc?.config ?? { providers: [] }) as { providers: { provider: string }[] };
    expect(providers.providers.map((p) => p.provider).sort()).toEqual(['github', 'google']);
    expect((await kratos.listIdentities({ credentialsIdentifier: newEmail })).data.map((i) => i.id)).toEqual([data.id]);

    const missing = await statusOf(
      kratos.updateIdentity({ id: randomUUID(), updateIdentityBody: { schema_id: 'default', state: 'active', traits: {} } }),
    );
    expect(missing.status).toBe(404);
    const other = await kratos.createIdentity({ createIdentityBody: body(`other-${unique()}@example.com`) });
    const clash = await statusOf(
      kratos.updateIdentity({
        id: other.data.id,
        updateIdentityBody: { schema_id: 'default', state: 'active', traits: { email: newEmail } },
      }),
    );
    expect(clash.status).toBe(409);
  });

  test('delete is 204, then the identity is gone (404 for get and delete)', async () => {
    const { data } = await kratos.createIdentity({
      createIdentityBody: body(`del-${unique()}@example.com`, {
        credentials: { oidc: { config: { providers: [{ provider: 'x', subject: unique() }] } } },
      }),
    });
    expect((await kratos.deleteIdentity({ id: data.id })).status).toBe(204);
    const gone = await statusOf(kratos.getIdentity({ id: data.id }));
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ error: { code: 404, status: 'Not Found' } });
    expect((await statusOf(kratos.deleteIdentity({ id: data.id }))).status).toBe(404);
  });
});
