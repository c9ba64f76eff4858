import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertData } from '../../../src/application/convert/convert-files.js';
import { kratosToZitadel } from '../../../src/application/convert/kratos-identity.js';
import { DEFAULT_TRAIT_MAPPING, parseKratosMapping } from '../../../src/application/convert/kratos-traits.js';
import { runConvert } from '../../../src/cli/convert.js';
import type { Json, JsonObject } from '../../../src/domain/json.js';
import { kratosHashes, listedIdentity, totpUrl } from '../../support/kratos.js';
import { acmeRealm } from '../../support/realm.js';

const mapping = { traits: DEFAULT_TRAIT_MAPPING, providers: {} };
const ctx = {
  mapping,
  defaultOrgId: 'org-1',
  newId: () => '00000000-0000-4000-8000-000000000001',
  now: () => new Date('2026-01-01T00:00:00Z'),
};

describe('Kratos, ZITADEL and realm mapping', () => {
  test('a Kratos listing converts to a ZITADEL export and back unchanged, offline', () => {
    const hashes = Object.values(kratosHashes('pw'));
    const source = Array.from({ length: 6 }, (_, n) => listedIdentity(n, hashes[n] as string)) as unknown as Json[];
    const there = convertData(source, { from: 'kratos', to: 'zitadel', mapping, orgId: 'o1', orgName: 'Kratos' });
    expect(there.problems).toEqual([]);
    const org = (there.output as { orgs: JsonObject[] }).orgs[0] as JsonObject;
    expect(org).toMatchObject({ orgId: 'o1', org: { name: 'Kratos' } });
    expect((org.humanUsers as Json[]).length).toBe(6);
    const back = convertData(there.output, { from: 'zitadel', to: 'kratos', mapping });
    expect(back.output).toEqual(source);
  });

  test('a configured trait mapping and provider table', () => {
    const custom = parseKratosMapping(
      'userName=login|contact.mail,email=contact.mail,firstName=given,lastName=family,phone=tel',
      'github=idp-42',
    );
    const c = kratosToZitadel(
      {
        schema_id: 'customer',
        traits: { contact: { mail: 'G@Example.com' }, given: 'Grace', family: 'Hopper', tel: '+41791234567' },
        verifiable_addresses: [{ value: 'G@Example.com', verified: true, via: 'email', status: 'completed' }],
        credentials: { oidc: { config: { providers: [{ provider: 'github', subject: '77' }] } } },
      },
      { ...ctx, mapping: custom },
    );
    expect(c.humanUser).toEqual({
      userId: '00000000-0000-4000-8000-000000000001',
      user: {
        userName: 'G@Example.com',
        profile: { firstName: 'Grace', lastName: 'Hopper' },
        email: { email: 'G@Example.com', isEmailVerified: true },
        phone: { phone: '+41791234567', isPhoneVerified: false },
      },
      state: 'USER_STATE_ACTIVE',
    });
    expect(c.links).toEqual([{ userId: c.id, idpId: 'idp-42', providedUserId: '77', providedUserName: 'G@Example.com' }]);
    expect(() => parseKratosMapping('surname=x', undefined)).toThrow(/unknown field "surname"/);
    expect(() => parseKratosMapping(undefined, 'github')).toThrow(/not key=value/);
  });

  test('with the IdPs known: a provider mapped to an existing IdP is a link, one with none is kept and named', () => {
    const providers = [
      { provider: 'github', subject: 'gh-1' },
      { provider: 'gitlab', subject: 'gl-1' },
    ];
    const c = kratosToZitadel(
      { schema_id: 'default', traits: { email: 'a@example.com' }, credentials: { oidc: { config: { providers } } } },
      {
        ...ctx,
        mapping: parseKratosMapping('', 'github=idp-42,gitlab=idp-43'),
        linkable: (idpId, orgId) => idpId === 'idp-42' && orgId === 'org-1',
      },
    );
    expect(c.links).toEqual([{ userId: c.id, idpId: 'idp-42', providedUserId: 'gh-1', providedUserName: 'a@example.com' }]);
    expect(c.notes).toEqual([
      'credentials.oidc provider gitlab: not carried as a user link (organization org-1 has no identity provider idp-43); kept in kratos.identity',
    ]);
    const kept = JSON.parse(Buffer.from(String(c.metadata[0]?.value), 'base64').toString('utf8'));
    expect(kept).toMatchObject({ credentials: { oidc: { config: { providers } } }, oidc_unlinked: ['gitlab:gl-1'] });
  });

  test('what a ZITADEL user cannot hold is named per identity; the secret part of a TOTP URL goes to the OTP secret', () => {
    const url = totpUrl('a@example.com');
    const c = kratosToZitadel(
      {
        schema_id: 'default',
        traits: { email: 'a@example.com' },
        credentials: {
          webauthn: { config: { credentials: [] } },
          lookup_secret: { config: {} },
          oidc: { config: { providers: [{ provider: 'google', subject: 's', initial_access_token: 'tok' }] } },
          totp: { config: { totp_url: url } },
        },
      },
      ctx,
    );
    expect(c.notes).toEqual([
      'credentials.webauthn is not carried: ZITADEL users have no webauthn credential',
      'credentials.lookup_secret is not carried: ZITADEL users have no lookup_secret credential',
      'credentials.oidc provider google: initial_access_token is not carried (ZITADEL user links keep no tokens)',
    ]);
    expect((c.humanUser.user as JsonObject).otpCode).toBe(new URL(url).searchParams.get('secret'));
    expect(JSON.stringify(c.metadata)).not.toContain('tok');
    // Names default to the user name when the schema has none (ZITADEL requires both).
    expect((c.humanUser.user as JsonObject).profile).toEqual({ firstName: 'a@example.com', lastName: 'a@example.com' });
  });

  test('a ZITADEL-native user becomes a Kratos identity of schema "default"; other resources are reported', () => {
    const out = convertData(
      {
        orgs: [
          {
            orgId: 'o',
            humanUsers: [
              {
                userId: 'u1',
                user: {
                  userName: 'ada',
                  profile: { firstName: 'Ada', lastName: 'L' },
                  email: { email: 'ada@example.com', isEmailVerified: true },
                },
                state: 'USER_STATE_ACTIVE',
              },
            ],
            machineUsers: [{ userId: 'm1', user: { userName: 'bot', name: 'Bot' } }],
          },
        ],
      },
      { from: 'zitadel', to: 'kratos', mapping, now: () => new Date('2026-01-01T00:00:00Z') },
    );
    expect(out.output).toEqual([
      {
        id: 'u1',
        credentials: {},
        schema_id: 'default',
        schema_url: '',
        state: 'active',
        state_changed_at: '2026-01-01T00:00:00.000Z',
        traits: { email: 'ada@example.com', username: 'ada', name: { first: 'Ada', last: 'L' } },
        verifiable_addresses: [{ value: 'ada@example.com', verified: true, via: 'email', status: 'completed' }],
        recovery_addresses: [],
        metadata_public: null,
        metadata_admin: null,
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
        organization_id: null,
      },
    ]);
    expect(out.problems).toEqual(['org o: 1 machineUsers not converted (Kratos identities have no counterpart)']);
  });

  test('the convert script: files in and out, what did not convert on stderr, exit codes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idport-convert-'));
    try {
      const input = join(dir, 'in.json');
      const output = join(dir, 'out.json');
      await writeFile(input, JSON.stringify([listedIdentity(1, kratosHashes('pw').bcrypt as string), { schema_id: 'x', traits: {} }]));
      const lines: string[] = [];
      const io = { out: (m: string) => lines.push(`out ${m}`), err: (m: string) => lines.push(`err ${m}`) };
      expect(await runConvert(['--from', 'kratos', '--to', 'zitadel', input, output], io)).toBe(1);
      expect(lines).toEqual([
        expect.stringMatching(/^err not converted: identity #1: not converted: traits carry no email/),
        `out converted 1 items from kratos to zitadel: ${output}`,
      ]);
      expect(JSON.parse(await readFile(output, 'utf8')).orgs[0].humanUsers).toHaveLength(1);
      expect(await runConvert(['--from', 'ldap', '--to', 'zitadel', input, output], io)).toBe(2);
      expect(await runConvert(['--from', 'kratos', '--to', 'kratos', input, output], io)).toBe(2);
      expect(await runConvert(['--from', 'kratos', '--to', 'zitadel', join(dir, 'missing.json'), output], io)).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('realm ↔ ZITADEL export offline: users, roles, role mappings and clients survive; settings are reported', () => {
    const realm = acmeRealm() as unknown as Json;
    const there = convertData(realm, { from: 'realm', to: 'zitadel', mapping });
    expect(there.problems).toEqual([
      "realm acme: settings not carried into a ZITADEL export (idport's realm API keeps them): displayName, enabled, sslRequired, registrationAllowed, accessTokenLifespan, smtpServer, attributes",
    ]);
    const back = convertData(there.output, { from: 'zitadel', to: 'realm', mapping }).output as JsonObject;
    const source = acmeRealm();
    const users = back.users as JsonObject[];
    expect(users.map((u) => [u.username, u.email, u.realmRoles, u.clientRoles])).toEqual(
      source.users.map((u) => [u.username, u.email, u.realmRoles, (u as { clientRoles?: unknown }).clientRoles]),
    );
    // The hashes came through (the export carries them), in Keycloak's own credential form.
    expect(((users[0]?.credentials ?? []) as JsonObject[])[0]?.secretData).toBe(source.users[0]?.credentials[0]?.secretData);
    expect(((back.roles as JsonObject).realm as JsonObject[]).map((r) => r.name)).toEqual(['user', 'admin']);
    expect((back.clients as JsonObject[]).map((c) => c.clientId)).toEqual(['web-app', 'spa', 'orders-api']);

    const kratos = convertData(realm, { from: 'realm', to: 'kratos', mapping }).output as JsonObject[];
    expect(kratos.map((i) => i.traits)).toEqual([
      { email: 'alice@acme.test', username: 'alice', name: { first: 'Alice', last: 'Liddell' } },
      { email: 'bob@acme.test', username: 'bob', name: { first: 'bob', last: 'bob' } },
    ]);
  });
});
