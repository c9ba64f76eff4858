/**
 * Secrets at rest (issue: "the database holds no OTP seed or client secret in clear"): after an
 * import, plain SQL over every table finds neither; exports give them back only when asked;
 * a re-import is UNCHANGED; a wrong key refuses the start; rotation and legacy plaintext rows
 * are sealed under the current key on start. Runs on PGlite (on disk, for restarts) and on
 * PostgreSQL when DATABASE_URL is set.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import type { Config } from '../../src/config.js';
import { secretKeyId } from '../../src/persistence/secrets/aes-gcm-cipher.js';
import { StartupError } from '../../src/startup-error.js';
import { BCRYPT_HASH } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { orgIn, postJson, seed } from '../support/export-helpers.js';
import { kratosClient } from '../support/kratos.js';
import { allRowsAsText, runSql } from '../support/raw-rows.js';

const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);
const [ID_A, ID_B] = [secretKeyId(KEY_A), secretKeyId(KEY_B)];
// Values unique to this run, so a hit in the raw rows can only be these secrets.
const CLIENT_SECRET = `idp-secret-${randomBytes(12).toString('hex')}`;
const OTP = randomBytes(20)
  .toString('hex')
  .toUpperCase()
  .replace(/[^A-Z2-7]/g, 'Q')
  .slice(0, 32);

const REALM_IDP_SECRET = `realm-idp-secret-${randomBytes(12).toString('hex')}`;
const SMTP_PASSWORD = `smtp-${randomBytes(12).toString('hex')}`;
/** A Keycloak realm whose kept settings carry secrets no proto marks. */
const REALM = {
  realm: 'sealed-realm',
  enabled: true,
  smtpServer: { host: 'smtp.sealed.example', user: 'mailer', password: SMTP_PASSWORD },
  identityProviders: [{ alias: 'corp', providerId: 'oidc', enabled: true, config: { clientId: 'corp', clientSecret: REALM_IDP_SECRET } }],
};
const PLAINTEXTS = () => [CLIENT_SECRET, OTP, OTP.toLowerCase(), REALM_IDP_SECRET, SMTP_PASSWORD];

const ORG: JsonObject = {
  orgId: 'sec-org',
  org: { name: 'Sealed' },
  oidcIdps: [
    {
      idpId: 'sec-idp',
      idp: { name: 'Corp', clientId: 'corp-client', clientSecret: CLIENT_SECRET, issuer: 'https://issuer.example', scopes: ['openid'] },
    },
  ],
  humanUsers: [
    {
      userId: 'sec-user',
      user: {
        userName: 'sealed.alice',
        profile: { firstName: 'Alice', lastName: 'Sealed' },
        email: { email: 'alice@sealed.example', isEmailVerified: true },
        hashedPassword: { value: BCRYPT_HASH },
        otpCode: OTP,
      },
    },
  ],
  orgState: 'ORG_STATE_ACTIVE',
};

let database: TestDatabase;
let home: string;
beforeAll(async () => {
  database = await createTestDatabase({ onDisk: true });
  home = await mkdtemp(join(tmpdir(), 'idport-sec-'));
});
afterAll(async () => {
  await database?.drop();
  await rm(home, { recursive: true, force: true });
});

const secrets = (key: Buffer | undefined, oldKeys: Buffer[] = []): Config['secrets'] => ({
  key,
  oldKeys,
  keyFile: join(home, 'secrets.key'),
});
const start = (s: Config['secrets']) => startTestApp({ database: database.config, adminTokenFile: join(home, 'admin.pat'), secrets: s });

async function withApp<T>(s: Config['secrets'], work: (app: TestApp) => Promise<T>): Promise<T> {
  const app = await start(s);
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

async function exportOrg(app: TestApp, options: { with_passwords: boolean; with_otp: boolean }): Promise<JsonObject | undefined> {
  const res = await postJson(app, '/admin/v1/export', { org_ids: ['sec-org'], response_output: true, timeout: '1m', ...options });
  expect(res.status).toBe(200);
  return orgIn(res.json, 'sec-org');
}

async function realmExport(app: TestApp, exportHashes: boolean): Promise<JsonObject> {
  const res = await fetch(`${app.url}/admin/realms/sealed-realm/export${exportHashes ? '?exportHashes=true' : ''}`, {
    headers: { authorization: `Bearer ${app.token}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as JsonObject;
}

/** The stored OTP seed and IdP client secret, as plain SQL sees them, and whether any table holds either in clear. */
async function rawState() {
  const tables = await allRowsAsText(database.config);
  const inClear = [...tables].flatMap(([table, rows]) => rows.filter((r) => PLAINTEXTS().some((p) => r.includes(p))).map(() => table));
  const seed = (tables.get('user_secret') ?? []).map((r) => JSON.parse(r) as { user_id: string; otp_secret: string | null });
  const idp = (tables.get('idp') ?? []).map((r) => JSON.parse(r) as { payload: { idp: { clientSecret?: string } } });
  const realm = (tables.get('org_setting') ?? []).map((r) => JSON.parse(r) as { kind: string; payload: { sealed?: string } });
  return {
    inClear,
    tables: tables.size,
    otp: seed.find((r) => r.user_id === 'sec-user')?.otp_secret,
    clientSecret: idp[0]?.payload.idp.clientSecret,
    realmSettings: realm.find((r) => r.kind === 'realm')?.payload.sealed,
  };
}

/** ORG as an export without the secrets it was not asked for: IdP client secrets go with the hashes. */
function without(keep: { passwords: boolean; otp: boolean }): JsonObject {
  const org = structuredClone(ORG) as { oidcIdps: { idp: JsonObject }[]; humanUsers: { user: JsonObject }[] };
  for (const { idp } of org.oidcIdps) if (!keep.passwords) delete idp.clientSecret;
  for (const { user } of org.humanUsers) {
    if (!keep.passwords) delete user.hashedPassword;
    if (!keep.otp) delete user.otpCode;
  }
  return org as unknown as JsonObject;
}

const sealedUnder = (id: string) => expect.stringMatching(new RegExp(`^enc:v1:${id}:[A-Za-z0-9_-]+$`));
const sealedState = (id: string, tables: number) => ({
  inClear: [],
  tables,
  otp: sealedUnder(id),
  clientSecret: sealedUnder(id),
  realmSettings: sealedUnder(id),
});

describe('secrets at rest', () => {
  test('after an import, no table holds the OTP seed or the IdP client secret in clear', async () => {
    await withApp(secrets(KEY_A), async (app) => {
      await seed(app, [ORG]);
      expect((await postJson(app, '/admin/realms/import', REALM)).status).toBe(201);
    });
    const state = await rawState();
    expect(state.tables).toBeGreaterThan(15);
    expect(state).toEqual(sealedState(ID_A, state.tables));
  });

  test('exports give the original values back only when asked; a re-import is UNCHANGED', async () => {
    await withApp(secrets(KEY_A), async (app) => {
      expect(await exportOrg(app, { with_passwords: true, with_otp: true })).toEqual(ORG);

      for (const keep of [
        { passwords: false, otp: false },
        { passwords: false, otp: true },
        { passwords: true, otp: false },
      ]) {
        expect(await exportOrg(app, { with_passwords: keep.passwords, with_otp: keep.otp })).toEqual(without(keep));
      }

      // Realm settings: the secrets back only with exportHashes, else masked as Keycloak's partial export does.
      expect(await realmExport(app, true)).toMatchObject(REALM);
      expect(await realmExport(app, false)).toMatchObject({
        smtpServer: { ...REALM.smtpServer, password: '**********' },
        identityProviders: [{ ...REALM.identityProviders[0], config: { clientId: 'corp', clientSecret: '**********' } }],
      });

      // The Kratos API's totp credential opens the seed too (human-user-reader.ts).
      const identity = await kratosClient(app.url, app.token).getIdentity({ id: 'sec-user', includeCredential: ['totp'] });
      expect(identity.data.credentials?.totp?.config).toEqual({ totp_url: expect.stringContaining(`secret=${OTP}`) });

      const again = await postJson(app, '/idport/v1/import', { request: { timeout: '1m', data_orgs: { orgs: [ORG] } } });
      expect(again.status).toBe(200);
      const outcomes = ((again.json.results ?? []) as { type?: string; outcome?: string }[]).map((r) => `${r.type}:${r.outcome}`);
      expect(outcomes).toEqual(expect.arrayContaining(['oidc_idp:OUTCOME_UNCHANGED', 'human_user:OUTCOME_UNCHANGED']));
      expect(new Set(outcomes.map((o) => o.split(':')[1]))).toEqual(new Set(['OUTCOME_UNCHANGED']));
    });
  });

  test('a start with only another key is refused with one line naming the key it needs; nothing is changed', async () => {
    const before = await rawState();
    let error: unknown;
    await start(secrets(KEY_B)).then(
      (app) => app.close(),
      (e: unknown) => {
        error = e;
      },
    );
    expect(error).toBeInstanceOf(StartupError);
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain(`sealed with key ${ID_A}, which is not configured (current key ${ID_B})`);
    expect(await rawState()).toEqual(before);
  });

  test('rotation: with the old key in IDPORT_SECRETS_OLD_KEYS a start re-seals under the new key, which alone then reads them', async () => {
    await withApp(secrets(KEY_B, [KEY_A]), async (app) => {
      expect(await exportOrg(app, { with_passwords: true, with_otp: true })).toEqual(ORG);
      expect(await realmExport(app, true)).toMatchObject(REALM);
    });
    const state = await rawState();
    expect(state).toEqual(sealedState(ID_B, state.tables));
    await withApp(secrets(KEY_B), async (app) => {
      expect(await exportOrg(app, { with_passwords: true, with_otp: true })).toEqual(ORG);
    });
  });

  test('rows an older idport wrote in clear are sealed on the next start', async () => {
    const idp = (ORG.oidcIdps as JsonObject[])[0] as JsonObject;
    await runSql(database.config, [
      ['update user_secret set otp_secret = ? where user_id = ?', [OTP, 'sec-user']],
      ['update idp set payload = ?::json where id = ?', [JSON.stringify(idp), 'sec-idp']],
      [`update org_setting set payload = ?::json where org_id = ? and kind = 'realm'`, [JSON.stringify(REALM), 'sealed-realm']],
    ]);
    expect((await rawState()).inClear).toEqual(['idp', 'org_setting', 'user_secret']);
    await withApp(secrets(KEY_B), async (app) => {
      expect(await exportOrg(app, { with_passwords: true, with_otp: true })).toEqual(ORG);
      expect(await realmExport(app, true)).toMatchObject(REALM);
    });
    const state = await rawState();
    expect(state).toEqual(sealedState(ID_B, state.tables));
  });
});

describe('the key file, when no key is configured', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase({ onDisk: true });
    dir = await mkdtemp(join(tmpdir(), 'idport-keyfile-'));
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('is made 0600 on the first start, seals the data, is tightened from 0644 and reused on the next', async () => {
    const keyFile = join(dir, 'home', 'secrets.key');
    const config = { database: db.config, adminTokenFile: join(dir, 'admin.pat'), secrets: { key: undefined, oldKeys: [], keyFile } };
    const first = await startTestApp(config);
    try {
      await seed(first, [ORG]);
    } finally {
      await first.close();
    }
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const fileKeyId = secretKeyId(Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64'));
    const tables = await allRowsAsText(db.config);
    expect(tables.get('user_secret')?.join()).toContain(`enc:v1:${fileKeyId}:`);
    expect(tables.get('idp')?.join()).toContain(`enc:v1:${fileKeyId}:`);

    await chmod(keyFile, 0o644);
    const second = await startTestApp(config);
    try {
      expect(await exportOrg(second, { with_passwords: true, with_otp: true })).toEqual(ORG);
    } finally {
      await second.close();
    }
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
  });
});
