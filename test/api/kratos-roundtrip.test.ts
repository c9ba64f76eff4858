import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateIdentityBody, Identity, IdentityApi } from '@ory/kratos-client';
import { batches, runImportIdentities } from '../../src/cli/import-identities.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { kratosClient, kratosHashes, listedIdentity } from '../support/kratos.js';

/**
 * Kratos → idport → Kratos: identities as a Kratos admin API lists them with credentials
 * import into idport (Ory's client, batch patch) and come back out of idport's Kratos API equal.
 * Runs on PGlite, and on PostgreSQL when DATABASE_URL is set.
 */
let app: TestApp;
let kratos: IdentityApi;

beforeAll(async () => {
  app = await startTestApp();
  kratos = kratosClient(app.url, app.token);
});
afterAll(() => app.close());

async function listAll(include: string[]): Promise<Identity[]> {
  const out: Identity[] = [];
  let token: string | undefined;
  for (;;) {
    const res = await kratos.listIdentities({ pageSize: 7, includeCredential: include, ...(token ? { pageToken: token } : {}) });
    out.push(...res.data);
    const next = /<([^>]+)>; rel="next"/.exec(String(res.headers.link))?.[1];
    if (!next) return out;
    token = new URL(next, app.url).searchParams.get('page_token') ?? undefined;
  }
}

test('a Kratos listing with credentials comes back out equal, and importing it again changes nothing', async () => {
  const hashes = Object.values(kratosHashes('pw'));
  const source = Array.from({ length: 24 }, (_, n) => listedIdentity(n, hashes[n % hashes.length] as string));
  const patch = { identities: source.map((s) => ({ create: s as unknown as CreateIdentityBody })) };

  const first = await kratos.batchPatchIdentities({ patchIdentitiesBody: patch });
  expect(first.data.identities?.map((i) => [i.action, i.identity])).toEqual(source.map((s) => ['create', s.id]));

  const byId = new Map((await listAll(['password', 'oidc', 'totp'])).map((i) => [i.id, i]));
  for (const expected of source) expect(byId.get(expected.id as string)).toEqual(expected);

  // Without include_credential, the same identities, credentials named but without their config.
  const plain = await kratos.getIdentity({ id: source[0]?.id as string });
  expect(Object.values(plain.data.credentials ?? {}).map((c) => c.config)).toEqual([undefined, undefined, undefined]);

  // Idempotent: the same listing again is accepted and nothing changes.
  const again = await kratos.batchPatchIdentities({ patchIdentitiesBody: patch });
  expect(again.data.identities?.every((i) => i.action === 'create')).toBe(true);
  const after = new Map((await listAll(['password', 'oidc', 'totp'])).map((i) => [i.id, i]));
  for (const expected of source) expect(after.get(expected.id as string)).toEqual(expected);

  // The same ids with different content are conflicts.
  const changed = source
    .slice(0, 2)
    .map((s) => ({ create: { ...s, traits: { email: 'changed@example.com' } } as unknown as CreateIdentityBody }));
  const conflicts = await kratos.batchPatchIdentities({ patchIdentitiesBody: { identities: changed } });
  expect(conflicts.data.identities?.map((i) => [i.action, i.error?.code])).toEqual([
    ['error', 409],
    ['error', 409],
  ]);
});

/** Imports an org holding one OIDC IdP over REST, as a ZITADEL export would bring it. */
async function orgWithIdp(orgId: string, idpId: string): Promise<void> {
  const res = await fetch(`${app.url}/admin/v1/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      dataOrgs: {
        orgs: [
          {
            orgId,
            org: { name: `Kratos ${orgId}` },
            oidcIdps: [{ idpId, idp: { name: 'SSO', issuer: 'https://sso.example', clientId: 'c' } }],
          },
        ],
      },
    }),
  });
  expect({ status: res.status, errors: ((await res.json()) as { errors?: unknown[] }).errors ?? [] }).toEqual({ status: 200, errors: [] });
}

test('identities also export as ZITADEL data: human users, user links to existing IdPs and the kept Kratos fields', async () => {
  const hash = kratosHashes('pw').bcrypt as string;
  const identity = listedIdentity(100, hash);
  // An OIDC provider naming an IdP of the identity's org becomes a user link (unlisted providers keep their name).
  const orgId = `kratos-org-${(identity.id as string).slice(0, 8)}`;
  const idpId = `gh-${(identity.id as string).slice(0, 8)}`;
  await orgWithIdp(orgId, idpId);
  identity.organization_id = orgId;
  const oidc = (identity.credentials as Record<string, { identifiers: string[]; config: { providers: { provider: string }[] } }>).oidc;
  if (!oidc?.config.providers[0]) throw new Error('listedIdentity has an oidc provider');
  oidc.config.providers[0].provider = idpId;
  oidc.identifiers = [`${idpId}:10000100`];
  const created = await kratos.batchPatchIdentities({
    patchIdentitiesBody: { identities: [{ create: identity as unknown as CreateIdentityBody }] },
  });
  expect(created.data.identities?.map((i) => [i.action, i.identity, (i as { idport_not_carried?: string[] }).idport_not_carried])).toEqual([
    ['create', identity.id, undefined],
  ]);
  expect((await kratos.getIdentity({ id: identity.id as string, includeCredential: ['password', 'oidc', 'totp'] })).data).toEqual(identity);
  const res = await fetch(`${app.url}/admin/v1/export`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ with_passwords: true, with_otp: true, response_output: true }),
  });
  const orgs = ((await res.json()) as { orgs: Record<string, unknown>[] }).orgs;
  const org = orgs.find((o) => JSON.stringify(o).includes(identity.id as string)) as Record<string, Record<string, unknown>[]>;
  const traits = identity.traits as { email: string; name: { first: string; last: string } };
  expect(org.humanUsers?.find((u) => u.userId === identity.id)).toEqual({
    userId: identity.id,
    user: {
      userName: traits.email,
      profile: { firstName: traits.name.first, lastName: traits.name.last },
      email: { email: traits.email, isEmailVerified: true },
      hashedPassword: { value: hash },
      otpCode: expect.stringMatching(/^[A-Z2-7]{32}$/),
    },
    state: 'USER_STATE_ACTIVE',
  });
  expect(org.userLinks?.find((l) => l.userId === identity.id)).toEqual({
    userId: identity.id,
    idpId,
    providedUserId: '10000100',
    providedUserName: traits.email,
  });
  expect(org.userMetadata?.find((m) => m.id === identity.id)).toMatchObject({ key: 'kratos.identity' });
});

test('import identities FILE…: Kratos files, one or many, in batches within the limits; failures named by file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'idport-identities-'));
  try {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, app.token);
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    const many = Array.from({ length: 450 }, (_, n) => ({
      schema_id: 'default',
      traits: { email: `cli-${n}-${a.length}@example.com` },
      credentials: { password: { config: { password: `pw-${n}` } } },
    }));
    expect(batches(many).map((x) => x.length)).toEqual([200, 200, 50]);
    await writeFile(a, JSON.stringify(many));
    await writeFile(b, JSON.stringify(listedIdentity(500, kratosHashes('pw').bcrypt as string)));
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ identities: [{ create: { schema_id: 'x', traits: { email: 'broken' } } }] }));
    const lines: string[] = [];
    const io = { out: (m: string) => lines.push(m), err: (m: string) => lines.push(m) };
    expect(await runImportIdentities(['--endpoint', app.url, '--token-file', tokenFile, a, b, bad], io)).toBe(1);
    // b.json's provider github names no IdP: the identity is imported, the provider kept and reported.
    expect(lines[0]?.startsWith(`${b}#0: `)).toBe(true);
    expect(lines).toEqual([
      expect.stringMatching(
        /#0: not carried: credentials\.oidc provider github: not carried as a user link \(organization \S+ has no identity provider github\); kept in kratos\.identity$/,
      ),
      expect.stringMatching(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}#0: 400 `)),
      'imported 451 identities, 1 failed',
    ]);
    expect((await kratos.listIdentities({ credentialsIdentifier: `cli-449-${a.length}@example.com` })).data).toHaveLength(1);
    expect(await runImportIdentities(['--endpoint', app.url, a], io)).toBe(2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
