import bcrypt from 'bcryptjs';

/** Size of a generated instance. */
export interface DatasetSize {
  orgs: number;
  usersPerOrg: number;
  projectsPerOrg: number;
  /** Human users carry a plaintext `password` (hashed by the import) instead of a bcrypt hash. */
  plaintextPasswords?: boolean;
}

export interface Dataset {
  size: DatasetSize;
  /** Rows each org puts into the database, by table (what COPY writes and export reads). */
  rowsPerOrg: Record<string, number>;
  /** Database rows in all tables, `user_secret` included: what the COPY reference writes. */
  tableRows: number;
  /**
   * Resources in the export file: each org head, every list entry and every setting object.
   * The one row count every rows/s figure uses (`user_secret` rows are part of their user).
   */
  resources: number;
  /** DataOrg JSON objects (admin.v1 shape), one org at a time: never all in memory. */
  orgs(): Generator<Record<string, unknown>>;
}

const ROLES = ['admin', 'editor', 'viewer', 'billing', 'support'];
/** Distinct real bcrypt hashes (cost 4) used round-robin: 1M real hashes would take ~20 min. */
const HASH_POOL = 256;

/**
 * A realistic instance: per org, human users (bcrypt hash, profile, verified email, phone),
 * 1% machine users, one metadata entry and one user grant per user, projects with roles and
 * OIDC + API apps, org members and project members.
 */
export function createDataset(size: DatasetSize): Dataset {
  const hashes = size.plaintextPasswords ? [] : Array.from({ length: HASH_POOL }, (_v, i) => bcrypt.hashSync(`password-${i}`, 4));
  const machines = Math.max(1, Math.floor(size.usersPerOrg / 100));
  const humans = size.usersPerOrg - machines;
  const members = Math.min(10, humans);
  const rowsPerOrg: Record<string, number> = {
    org: 1,
    users: size.usersPerOrg,
    user_secret: humans,
    user_metadata: humans,
    user_grant: humans,
    project: size.projectsPerOrg,
    project_role: size.projectsPerOrg * ROLES.length,
    app: size.projectsPerOrg * 2,
    member: members + size.projectsPerOrg,
    org_setting: 2,
  };
  const tableRows = Object.values(rowsPerOrg).reduce((a, b) => a + b, 0) * size.orgs;
  const resources = tableRows - (rowsPerOrg.user_secret as number) * size.orgs;

  function* orgs(): Generator<Record<string, unknown>> {
    for (let o = 0; o < size.orgs; o++) {
      const orgId = `9${String(o).padStart(5, '0')}`;
      const uid = (u: number) => `${orgId}${String(u).padStart(8, '0')}`;
      const pid = (p: number) => `${orgId}p${p}`;
      const projects = Array.from({ length: size.projectsPerOrg }, (_v, p) => ({
        projectId: pid(p),
        project: { name: `Project ${p}`, projectRoleAssertion: true },
      }));
      const humanUsers = Array.from({ length: humans }, (_v, u) => ({
        userId: uid(u),
        user: {
          userName: `user${u}@org${o}.example`,
          profile: { firstName: `First${u}`, lastName: `Last${u}`, displayName: `User ${u}`, preferredLanguage: 'en' },
          email: { email: `user${u}@org${o}.example`, isEmailVerified: true },
          phone: { phone: `+4179${String(u).padStart(7, '0')}` },
          ...(size.plaintextPasswords ? { password: `Bench-password-${u}!` } : { hashedPassword: { value: hashes[u % HASH_POOL] } }),
        },
        state: 'USER_STATE_ACTIVE',
      }));
      yield {
        orgId,
        org: { name: `Bench org ${o}` },
        domainPolicy: { userLoginMustBeDomain: true },
        loginPolicy: { allowUsernamePassword: true, passwordCheckLifetime: '864000s' },
        projects,
        projectRoles: projects.flatMap((p) => ROLES.map((roleKey) => ({ projectId: p.projectId, roleKey, displayName: roleKey }))),
        apiApps: projects.map((p) => ({ appId: `${p.projectId}api`, app: { projectId: p.projectId, name: 'API' } })),
        oidcApps: projects.map((p) => ({
          appId: `${p.projectId}web`,
          app: {
            projectId: p.projectId,
            name: 'Web',
            redirectUris: ['https://app.example/cb'],
            responseTypes: ['OIDC_RESPONSE_TYPE_CODE'],
          },
        })),
        humanUsers,
        machineUsers: Array.from({ length: machines }, (_v, m) => ({
          userId: uid(humans + m),
          user: { userName: `bot${m}`, name: `Bot ${m}` },
          state: 'USER_STATE_ACTIVE',
        })),
        userGrants: humanUsers.map((u, i) => ({
          userId: u.userId,
          projectId: pid(i % size.projectsPerOrg),
          roleKeys: [ROLES[i % ROLES.length]],
        })),
        orgMembers: humanUsers.slice(0, members).map((u) => ({ userId: u.userId, roles: ['ORG_OWNER'] })),
        projectMembers: projects.map((p, i) => ({ projectId: p.projectId, userId: uid(i % humans), roles: ['PROJECT_OWNER'] })),
        userMetadata: humanUsers.map((u, i) => ({ id: u.userId, key: 'employee_id', value: Buffer.from(`E${i}`).toString('base64') })),
        orgState: 'ORG_STATE_ACTIVE',
      };
    }
  }
  return { size, rowsPerOrg, tableRows, resources, orgs };
}
