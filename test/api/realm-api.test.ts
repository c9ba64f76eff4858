import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestClock, startTestApp, type TestApp } from '../support/app.js';
import { acmeRealm, keycloakPbkdf2 } from '../support/realm.js';

/**
 * The realm API: seeding and export scripts (curl, verbatim) against a running idport, the
 * client-credentials token endpoint with GenerateMachineSecret, conflicts and policies, and the
 * realm → idport → realm round trip. PGlite by default, PostgreSQL with DATABASE_URL.
 */
const run = promisify(execFile);
const clock = createTestClock();
let app: TestApp;
let dir: string;
let client: { id: string; secret: string };

async function call(path: string, init: { method?: string; token?: string; body?: unknown; form?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${init.token ?? app.token}` };
  let body: string | undefined;
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
    if (!init.token) delete headers.authorization;
  } else if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.body);
  }
  const res = await fetch(`${app.url}${path}`, { method: init.method ?? (body ? 'POST' : 'GET'), headers, ...(body ? { body } : {}) });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: the tests walk arbitrary realm JSON
  return { status: res.status, headers: res.headers, json: (text ? JSON.parse(text) : null) as Record<string, any> };
}

/** A machine user holding `role`, with a client secret from GenerateMachineSecret. */
async function machineClient(role: string): Promise<{ id: string; secret: string }> {
  const userName = `seeder-${Math.random().toString(36).slice(2, 8)}`;
  const user = await call('/management/v1/users/machine', { body: { userName, name: 'Seeder' } });
  await call('/admin/v1/members', { body: { userId: user.json.userId, roles: [role] } });
  const secret = await call(`/management/v1/users/${user.json.userId}/secret`, { method: 'PUT', body: {} });
  expect(secret.status).toBe(200);
  expect(secret.json).toMatchObject({ clientId: userName, clientSecret: expect.any(String), details: expect.any(Object) });
  return { id: secret.json.clientId, secret: secret.json.clientSecret };
}

const tokenFor = async (c: { id: string; secret: string }, realm = 'master') =>
  (
    await call(`/realms/${realm}/protocol/openid-connect/token`, {
      form: { grant_type: 'client_credentials', client_id: c.id, client_secret: c.secret },
    })
  ).json.access_token as string;

beforeAll(async () => {
  app = await startTestApp({}, { clock });
  dir = await mkdtemp(join(tmpdir(), 'idport-realm-'));
  client = await machineClient('IAM_OWNER');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await app.close();
});

const env = (extra: Record<string, string>) => ({
  ...process.env,
  IAM_URL: app.url,
  CLIENT_ID: client.id,
  CLIENT_SECRET: client.secret,
  ...extra,
});

test('the seeding script runs verbatim and is idempotent; the export script gives the realm back', async () => {
  const realmFile = join(dir, 'acme.json');
  await writeFile(realmFile, JSON.stringify(acmeRealm()));
  const seed = join(import.meta.dirname, '../fixtures/realm/seed-realm.sh');
  expect((await run('bash', [seed], { env: env({ REALM_FILE: realmFile }) })).stdout).toBe('realm created\n');
  expect((await run('bash', [seed], { env: env({ REALM_FILE: realmFile }) })).stdout).toBe('realm unchanged\n');

  await run('bash', [join(import.meta.dirname, '../fixtures/realm/export-realm.sh')], { env: env({ REALM: 'acme', OUT_DIR: dir }) });
  const source = acmeRealm();
  const { users: _u, ...withoutUsers } = source;
  const exported = JSON.parse(await readFile(join(dir, 'realm.json'), 'utf8'));
  // Without exportHashes: the same realm, users without credentials.
  expect(exported).toEqual({ ...withoutUsers, users: source.users.map(({ credentials: _c, ...u }) => u) });
  const users = JSON.parse(await readFile(join(dir, 'users.json'), 'utf8'));
  expect(users).toEqual({ realm: 'acme', users: source.users });
  expect(JSON.parse(await readFile(join(dir, 'roles.json'), 'utf8'))).toEqual({ realm: 'acme', roles: source.roles });
  expect(JSON.parse(await readFile(join(dir, 'clients.json'), 'utf8'))).toEqual({ realm: 'acme', clients: source.clients });
});

test('a realm with different content is 409 unless ?overwrite=true; invalid realms write nothing', async () => {
  const changed = { ...acmeRealm(), displayName: 'ACME Inc', users: [{ ...acmeRealm().users[0], firstName: 'Alicia' }] };
  const conflict = await call('/admin/realms/import', { body: changed });
  expect(conflict.status).toBe(409);
  expect(conflict.json.errorMessage).toContain('overwrite=true');
  const overwritten = await call('/admin/realms/import?overwrite=true', { body: changed });
  expect(overwritten).toMatchObject({ status: 200, json: { status: 'updated' } });
  const after = await call('/admin/realms/acme/export');
  expect(after.json.displayName).toBe('ACME Inc');
  expect(after.json.users.find((u: { username: string }) => u.username === 'alice').firstName).toBe('Alicia');

  const invalid = { ...acmeRealm('broken'), users: [{ username: 'x', email: 'not-an-email' }] };
  const refused = await call('/admin/realms/import', { body: invalid });
  expect(refused.status).toBe(400);
  expect((await call('/admin/realms/broken/export')).status).toBe(404);
  expect((await call('/admin/realms/import', { body: { enabled: true } })).status).toBe(400);
  // A new realm whose name another org has (the default org is "idport"): 409, nothing written.
  const taken = await call('/admin/realms/import', { body: { realm: 'idport', enabled: true } });
  expect(taken.status).toBe(409);
  expect((await call('/admin/realms/idport/export')).status).toBe(404);
});

test('users import: existing users skipped unless mergeUsers; existing client 409; undefined roles created', async () => {
  const carol = {
    username: 'carol',
    email: 'carol@acme.test',
    firstName: 'Carol',
    lastName: 'C',
    enabled: true,
    realmRoles: ['auditor'],
    credentials: [{ type: 'password', value: 'carol-pw' }],
  };
  const alice = { ...acmeRealm().users[0], lastName: 'Changed' };
  const first = await call('/admin/realms/acme/users/import', { body: { users: [alice, carol] } });
  expect(first.status).toBe(200);
  expect(first.json).toMatchObject({ added: 1, skipped: 1, overwritten: 0 });
  expect(first.json.notes).toContain('role auditor: named by a role mapping but not defined; created');
  const roles = await call('/admin/realms/acme/roles/export');
  expect(roles.json.roles.realm.map((r: { name: string }) => r.name)).toContain('auditor');
  const exported = await call('/admin/realms/acme/users/export?exportHashes=true');
  const carolOut = exported.json.users.find((u: { username: string }) => u.username === 'carol');
  expect(carolOut.realmRoles).toEqual(['auditor']);
  expect(JSON.parse(carolOut.credentials[0].credentialData).algorithm).toBe('bcrypt');
  expect(exported.json.users.find((u: { username: string }) => u.username === 'alice').lastName).toBe('Liddell');

  const merged = await call('/admin/realms/acme/users/import?mergeUsers=true', { body: [alice] });
  expect(merged.json).toMatchObject({ overwritten: 1, added: 0 });
  const clash = await call('/admin/realms/acme/users/import', { body: { users: [], clients: [{ clientId: 'spa' }] } });
  expect(clash.status).toBe(409);
  expect((await call('/admin/realms/nope/users/import', { body: [] })).status).toBe(404);
});

test('hashes only when asked, for callers with the secrets permission; client secrets redacted', async () => {
  await call('/admin/realms/import', {
    body: { ...acmeRealm('beta'), clients: [{ clientId: 'svc', publicClient: false, secret: 'real-secret' }], users: [] },
  });
  const clients = await call('/admin/realms/beta/clients/export');
  expect(clients.json.clients).toEqual([{ clientId: 'svc', publicClient: false, secret: '**********' }]);
  expect(JSON.stringify(clients.json)).not.toContain('real-secret');

  const viewer = await tokenFor(await machineClient('IAM_OWNER_VIEWER'));
  expect((await call('/admin/realms/acme/users/export', { token: viewer })).status).toBe(200);
  expect((await call('/admin/realms/acme/users/export?exportHashes=true', { token: viewer })).status).toBe(403);
  expect((await call('/admin/realms/import', { token: viewer, body: acmeRealm('gamma') })).status).toBe(403);
  expect((await call('/admin/realms/acme/export', { token: 'nope' })).status).toBe(401);
});

test('client credentials: a short-lived token honouring the realm’s accessTokenLifespan; bad clients are refused', async () => {
  const master = await call('/realms/master/protocol/openid-connect/token', {
    form: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret },
  });
  expect(master).toMatchObject({ status: 200, json: { token_type: 'Bearer', expires_in: 300, access_token: expect.any(String) } });
  expect(master.headers.get('cache-control')).toBe('no-store');

  const acme = await call('/realms/acme/protocol/openid-connect/token', {
    form: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret },
  });
  expect(acme.json.expires_in).toBe(120);
  const token = acme.json.access_token as string;
  expect((await call('/admin/realms/acme/roles/export', { token })).status).toBe(200);
  clock.advance(121_000);
  try {
    expect((await call('/admin/realms/acme/roles/export', { token })).status).toBe(401);
  } finally {
    clock.reset();
  }

  const basic = await fetch(`${app.url}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  expect(basic.status).toBe(200);
  for (const [form, status, error] of [
    [{ grant_type: 'client_credentials', client_id: client.id, client_secret: 'wrong' }, 401, 'invalid_client'],
    [{ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x' }, 401, 'invalid_client'],
    [{ grant_type: 'password', username: 'a', password: 'b' }, 400, 'unsupported_grant_type'],
    [{ grant_type: 'client_credentials' }, 400, 'invalid_request'],
  ] as const) {
    const res = await call('/realms/master/protocol/openid-connect/token', { form });
    expect({ form, status: res.status, error: res.json.error }).toEqual({ form, status, error });
  }
  expect(
    (
      await call('/realms/nowhere/protocol/openid-connect/token', {
        form: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret },
      })
    ).status,
  ).toBe(400);
});

test('expired client-credentials tokens are pruned at the next grant; personal access tokens stay listed', async () => {
  const userName = `pruned-${Math.random().toString(36).slice(2, 8)}`;
  const user = await call('/management/v1/users/machine', { body: { userName, name: 'Pruned' } });
  const userId = user.json.userId as string;
  const secret = (await call(`/management/v1/users/${userId}/secret`, { method: 'PUT', body: {} })).json.clientSecret as string;
  const soon = new Date(Date.now() + 60_000).toISOString();
  expect((await call(`/management/v1/users/${userId}/pats`, { body: { expirationDate: soon } })).status).toBe(200);
  const grant = async () =>
    (
      await call('/realms/acme/protocol/openid-connect/token', {
        form: { grant_type: 'client_credentials', client_id: userName, client_secret: secret },
      })
    ).json.access_token as string;
  const tokens = async () => (await call(`/management/v1/users/${userId}/pats/_search`, { body: {} })).json.result as unknown[];
  await grant();
  await grant();
  expect(await tokens()).toHaveLength(3);
  // Past the realm's 120 s (and the PAT's 60 s): the next grant removes the two stale tokens only.
  clock.advance(121_000);
  try {
    const fresh = await grant();
    expect(await tokens()).toHaveLength(2);
    expect((await call('/admin/realms/acme/roles/export', { token: fresh })).status).toBe(403);
  } finally {
    clock.reset();
  }
});

test('Keycloak hash families: pbkdf2-sha256 and argon2 credentials import and export as they came', async () => {
  const argon = {
    type: 'password',
    secretData: JSON.stringify({
      value: 'YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg=',
      salt: 'MIIRqgvgQbgj220jfp0MPA==',
      additionalParameters: {},
    }),
    credentialData: JSON.stringify({
      hashIterations: 3,
      algorithm: 'argon2',
      additionalParameters: { hashLength: ['32'], memory: ['65536'], type: ['id'], version: ['1.3'], parallelism: ['4'] },
    }),
  };
  const users = [
    { id: 'h1', username: 'pb', email: 'pb@h.test', enabled: true, emailVerified: false, credentials: [keycloakPbkdf2('pw', 'k1')] },
    { id: 'h2', username: 'ar', email: 'ar@h.test', enabled: true, emailVerified: false, credentials: [argon] },
  ];
  expect((await call('/admin/realms/import', { body: { realm: 'hashes', enabled: true, users } })).status).toBe(201);
  const out = await call('/admin/realms/hashes/users/export?exportHashes=true');
  expect(out.json.users).toEqual(users.map((u) => ({ ...u })));
});

test('`master` names the instance’s default org on the realm API too, as on the token endpoint', async () => {
  const orgs = await call('/admin/v1/orgs/_search', { body: {} });
  const byName = await call('/admin/realms/master/export');
  expect(byName.status).toBe(200);
  const defaultOrg = (orgs.json.result as { id: string }[]).find((o) => o.id === byName.json.id || o.id === byName.json.realm);
  expect(defaultOrg).toBeDefined();
  const byId = await call(`/admin/realms/${defaultOrg?.id}/export`);
  expect(byId.json).toEqual(byName.json);
  const users = await call('/admin/realms/master/users/export');
  expect(users.status).toBe(200);
});
