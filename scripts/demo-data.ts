/**
 * `npm run demo-data`: imports a realistic sample instance into a running idport, so a first
 * export shows something and an import into a second instance has orgs that do not collide.
 *
 *   npm run demo-data [-- --url http://127.0.0.1:8080] [--token-file .idport/admin.pat] [--orgs 3] [--users 50] [--out demo.json]
 *
 * Three companies by default, each with a verified domain and policies, human users (bcrypt
 * hashes of "Demo-Passw0rd!", some with an OTP secret), a machine user, a project with roles,
 * an OIDC and an API app, user grants, org and project members, metadata, and a project granted
 * to the next company. Imported through the migration guide's call, POST /admin/v1/import.
 * Re-running is safe (identical resources come back unchanged).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = `usage: npm run demo-data [-- --url URL] [--token-file FILE] [--orgs 1-10] [--users N] [--out FILE]
  Imports sample companies (users, a machine user, a project with roles, apps, grants, members)
  into a running idport through POST /admin/v1/import. Re-running is safe.
  --url         the instance (default: $IDPORT_URL, else http://127.0.0.1:8080)
  --token-file  a PAT (default: $IDPORT_HOME/admin.pat; $IDPORT_TOKEN wins when set)
  --orgs        how many companies (default 3, at most 10)
  --users       human users per company (default 50)
  --out         write the ExportData file here instead of importing it`;

function parse() {
  try {
    return parseArgs({
      options: {
        url: { type: 'string', default: process.env.IDPORT_URL ?? 'http://127.0.0.1:8080' },
        'token-file': { type: 'string' },
        orgs: { type: 'string', default: '3' },
        users: { type: 'string', default: '50' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    // An unknown flag or a missing value: one line and the usage, exit 2 (not a stack trace).
    console.error(`demo-data: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}
const { values } = parse();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const COMPANIES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark', 'Wayne', 'Tyrell', 'Cyberdyne'];
const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Margaret', 'Linus', 'Radia', 'Donald', 'Frances', 'John'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Thompson', 'Hamilton', 'Torvalds', 'Perlman', 'Knuth', 'Allen'];
const orgCount = Math.min(Number(values.orgs), COMPANIES.length);
const usersPerOrg = Number(values.users);
if (!Number.isInteger(orgCount) || orgCount < 1 || !Number.isInteger(usersPerOrg) || usersPerOrg < 1) {
  console.error('demo-data: --orgs (1-10) and --users must be positive integers');
  process.exit(2);
}

// One fixed bcrypt hash (cost 10) of "Demo-Passw0rd!" for every demo user: hashing each would
// be slow, and a fresh salt per run would make a re-run conflict instead of come back unchanged.
const HASH = '$2b$10$QPLqTEh74L7JdcSeGavhc.2gNXSPea.d3MJXqXi63XShVojldUSyu';
const OTP = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const b64 = (s: string) => Buffer.from(s).toString('base64');

function company(index: number) {
  const name = COMPANIES[index]!;
  const slug = name.toLowerCase();
  const id = (n: number) => `9${String(index).padStart(2, '0')}${String(n).padStart(5, '0')}`;
  const orgId = id(0);
  const projectId = id(1);
  const next = (index + 1) % orgCount;
  const users = Array.from({ length: usersPerOrg }, (_, u) => {
    const first = FIRST[u % FIRST.length]!;
    const last = LAST[(u * 7 + index) % LAST.length]!;
    const userName = `${first}.${last}.${u}`.toLowerCase();
    return {
      userId: id(100 + u),
      user: {
        userName: `${userName}@${slug}.example`,
        profile: { firstName: first, lastName: last, displayName: `${first} ${last}`, preferredLanguage: u % 3 ? 'en' : 'de' },
        email: { email: `${userName}@${slug}.example`, isEmailVerified: true },
        hashedPassword: { value: HASH },
        ...(u % 4 === 0 ? { otpCode: OTP } : {}),
      },
      state: 'USER_STATE_ACTIVE',
    };
  });
  return {
    orgId,
    org: { name: `${name} Corp` },
    domainPolicy: { userLoginMustBeDomain: true, validateOrgDomains: true },
    domains: [{ orgId, domainName: `${slug}.example`, isVerified: true, isPrimary: true, validationType: 'DOMAIN_VALIDATION_TYPE_DNS' }],
    loginPolicy: { allowUsernamePassword: true, passwordCheckLifetime: '864000s', secondFactors: ['SECOND_FACTOR_TYPE_OTP'] },
    passwordComplexityPolicy: { minLength: '10', hasUppercase: true, hasNumber: true },
    privacyPolicy: { tosLink: `https://${slug}.example/tos`, privacyLink: `https://${slug}.example/privacy` },
    humanUsers: users,
    machineUsers: [
      {
        userId: id(2),
        user: { userName: `ci-bot@${slug}.example`, name: 'CI bot', accessTokenType: 'ACCESS_TOKEN_TYPE_JWT' },
        state: 'USER_STATE_ACTIVE',
      },
    ],
    projects: [{ projectId, project: { name: `${name} Portal`, projectRoleAssertion: true } }],
    projectRoles: ['admin', 'editor', 'viewer'].map((roleKey) => ({
      projectId,
      roleKey,
      displayName: roleKey[0]!.toUpperCase() + roleKey.slice(1),
    })),
    oidcApps: [
      {
        appId: id(3),
        app: {
          projectId,
          name: 'Web',
          redirectUris: [`https://${slug}.example/callback`],
          responseTypes: ['OIDC_RESPONSE_TYPE_CODE'],
          grantTypes: ['OIDC_GRANT_TYPE_AUTHORIZATION_CODE', 'OIDC_GRANT_TYPE_REFRESH_TOKEN'],
          appType: 'OIDC_APP_TYPE_WEB',
          authMethodType: 'OIDC_AUTH_METHOD_TYPE_BASIC',
        },
      },
    ],
    apiApps: [{ appId: id(4), app: { projectId, name: 'API', authMethodType: 'API_AUTH_METHOD_TYPE_PRIVATE_KEY_JWT' } }],
    ...(orgCount > 1
      ? {
          projectGrants: [
            {
              grantId: id(5),
              projectGrant: { projectId, grantedOrgId: id(0).replace(/^9\d\d/, `9${String(next).padStart(2, '0')}`), roleKeys: ['viewer'] },
            },
          ],
        }
      : {}),
    userGrants: users
      .slice(0, Math.min(10, users.length))
      .map((u, i) => ({ userId: u.userId, projectId, roleKeys: [i === 0 ? 'admin' : 'viewer'] })),
    orgMembers: [{ userId: users[0]!.userId, roles: ['ORG_OWNER'] }],
    projectMembers: [{ projectId, userId: users[0]!.userId, roles: ['PROJECT_OWNER'] }],
    userMetadata: users.slice(0, Math.min(5, users.length)).map((u) => ({ id: u.userId, key: 'department', value: b64('engineering') })),
    orgState: 'ORG_STATE_ACTIVE',
  };
}

const orgs = Array.from({ length: orgCount }, (_, i) => company(i));
if (values.out) {
  await writeFile(values.out, `${JSON.stringify({ orgs })}\n`);
  console.log(`demo-data: wrote ${orgCount} org(s) to ${values.out}`);
  process.exit(0);
}
const tokenFile = values['token-file'] ?? resolve(process.env.IDPORT_HOME ?? '.idport', 'admin.pat');
const token = process.env.IDPORT_TOKEN ?? (await readFile(tokenFile, 'utf8').catch(() => '')).trim();
if (!token) {
  console.error(`demo-data: no token in ${tokenFile} (start the server once with npm start, or pass --token-file / IDPORT_TOKEN)`);
  process.exit(2);
}
const res = await fetch(`${values.url}/admin/v1/import`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ timeout: '10m', data_orgs: { orgs } }),
}).catch((e: Error) => {
  console.error(`demo-data: cannot reach ${values.url}: ${e.message} (is the server running? npm start)`);
  process.exit(2);
});
const body = (await res.json()) as {
  errors?: { type: string; id: string; message: string }[];
  success?: { orgs?: unknown[] };
  message?: string;
};
if (!res.ok) {
  console.error(`demo-data: HTTP ${res.status}: ${body.message ?? ''}`);
  process.exit(2);
}
const errors = body.errors ?? [];
console.log(
  `demo-data: imported ${body.success?.orgs?.length ?? 0} org(s) (${orgs.map((o) => o.org.name).join(', ')}), ${usersPerOrg} users each; ${errors.length} error(s)`,
);
for (const e of errors.slice(0, 20)) console.log(`  ${e.type} ${e.id}: ${e.message}`);
process.exit(errors.length ? 1 : 0);
