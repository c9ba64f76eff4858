import { createHash } from 'node:crypto';
import { invalidArgument } from '../../domain/errors.js';
import { isJsonObject, type Json, type JsonObject } from '../../domain/json.js';
import { keycloakPasswordToPhc, otpValueToBase32 } from './realm-credentials.js';

/**
 * A realm (Keycloak's RealmRepresentation, keycloak/keycloak `core/.../representations/idm`)
 * → one ZITADEL org: realm roles are the roles of one project, each client is a project with an
 * OIDC app (or an API app for bearer-only / service-account-only clients), users are human users,
 * role mappings are user grants. Settings with no ZITADEL counterpart are returned to be kept.
 */

/** The user metadata key that keeps a realm user's fields ZITADEL has no place for. */
export const REALM_USER_KEY = 'realm.user';

/** Fields of a realm that map onto ZITADEL resources; everything else is kept as settings. */
const MAPPED_REALM_FIELDS = new Set(['users', 'clients', 'roles']);
const MAPPED_USER_FIELDS = new Set([
  'id',
  'username',
  'email',
  'firstName',
  'lastName',
  'enabled',
  'emailVerified',
  'realmRoles',
  'clientRoles',
]);

const stableId = (prefix: string, ...parts: string[]) =>
  `${prefix}${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24)}`;

/** The project that holds a realm's realm roles. */
export const realmRolesProjectId = (orgId: string) => stableId('rr-', orgId);
/** The project (and app) a client becomes. */
export const clientProjectId = (orgId: string, clientId: string) => stableId('cl-', orgId, clientId);
export const clientAppId = (orgId: string, clientId: string) => stableId('ap-', orgId, clientId);
const userIdOf = (orgId: string, username: string) => stableId('u-', orgId, username.toLowerCase());

export interface ConvertedRealm {
  orgId: string;
  /** zitadel.admin.v1.DataOrg, resources only (no org head when `head` is false). */
  dataOrg: JsonObject;
  /** Realm fields ZITADEL cannot hold, plus the client and role representations, kept with the org. */
  settings: JsonObject;
  notes: string[];
}

const arrayOf = (v: Json | undefined): JsonObject[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);
const str = (v: Json | undefined) => (typeof v === 'string' ? v : '');

export interface RealmContext {
  /** The org the realm is (its id); defaults to the realm name. */
  orgId?: string;
  /** Role names already defined in the org (users import: only missing ones are created). */
  knownRealmRoles?: ReadonlySet<string>;
  knownClientRoles?: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Converts a realm (or the users part of one). Throws InvalidArgument for a realm without a name. */
export function realmToZitadel(realm: Json, ctx: RealmContext = {}): ConvertedRealm {
  if (!isJsonObject(realm)) throw invalidArgument('REALM-invalid', 'realm must be a JSON object');
  const name = str(realm.realm);
  const orgId = ctx.orgId ?? name;
  if (!orgId) throw invalidArgument('REALM-name', 'realm is required');
  const notes: string[] = [];
  const roles = isJsonObject(realm.roles) ? realm.roles : {};
  const realmRoles = arrayOf(roles.realm);
  const clientRoleDefs = isJsonObject(roles.client) ? roles.client : {};
  const clients = arrayOf(realm.clients);
  const rolesProject = realmRolesProjectId(orgId);
  const dataOrg: JsonObject = {
    orgId,
    projects: [{ projectId: rolesProject, project: { name: `${name || orgId} realm roles` } }],
    projectRoles: [],
    oidcApps: [],
    apiApps: [],
    humanUsers: [],
    userMetadata: [],
    userLinks: [],
    userGrants: [],
  };
  const push = (field: string, item: JsonObject) => (dataOrg[field] as Json[]).push(item);
  const definedRealm = new Set(ctx.knownRealmRoles ?? []);
  for (const r of realmRoles) {
    push('projectRoles', { projectId: rolesProject, roleKey: str(r.name), displayName: str(r.description) || str(r.name) });
    definedRealm.add(str(r.name));
  }

  const clientProjects = new Map<string, string>();
  const keptClients: JsonObject[] = [];
  for (const c of clients) {
    const clientId = str(c.clientId);
    if (!clientId) {
      notes.push('a client without clientId was not converted');
      continue;
    }
    const projectId = clientProjectId(orgId, clientId);
    clientProjects.set(clientId, projectId);
    // The project is named by the clientId, so a ZITADEL export alone still says which client it was.
    push('projects', { projectId, project: { name: clientId } });
    const appId = clientAppId(orgId, clientId);
    const appName = str(c.name) || clientId;
    const oidc = c.bearerOnly !== true && (c.standardFlowEnabled !== false || c.implicitFlowEnabled === true || c.publicClient === true);
    if (oidc) {
      const grantTypes = [
        ...(c.standardFlowEnabled !== false ? ['OIDC_GRANT_TYPE_AUTHORIZATION_CODE'] : []),
        ...(c.implicitFlowEnabled === true ? ['OIDC_GRANT_TYPE_IMPLICIT'] : []),
      ];
      push('oidcApps', {
        appId,
        app: {
          projectId,
          name: appName,
          redirectUris: Array.isArray(c.redirectUris) ? c.redirectUris : [],
          responseTypes: ['OIDC_RESPONSE_TYPE_CODE'],
          grantTypes,
          appType: c.publicClient === true ? 'OIDC_APP_TYPE_USER_AGENT' : 'OIDC_APP_TYPE_WEB',
          authMethodType: c.publicClient === true ? 'OIDC_AUTH_METHOD_TYPE_NONE' : 'OIDC_AUTH_METHOD_TYPE_BASIC',
        },
      });
    } else {
      push('apiApps', { appId, app: { projectId, name: appName, authMethodType: 'API_AUTH_METHOD_TYPE_BASIC' } });
    }
    if (typeof c.secret === 'string' && c.secret !== '' && !/^\*+$/.test(c.secret)) {
      notes.push(`client ${clientId}: its secret is not kept (ZITADEL exports no app secrets; issue a new one)`);
    }
    // The secret itself is never kept; that the client had one is (exports show it redacted).
    const { secret: _s, ...kept } = c;
    keptClients.push(c.secret === undefined ? kept : { ...kept, secret: '**********' });
    for (const r of arrayOf(clientRoleDefs[clientId])) {
      push('projectRoles', { projectId, roleKey: str(r.name), displayName: str(r.description) || str(r.name) });
    }
  }

  const created = new Set<string>();
  const ensureRole = (projectId: string, role: string, known: Set<string>) => {
    if (known.has(role)) return;
    known.add(role);
    push('projectRoles', { projectId, roleKey: role, displayName: role });
    created.add(`${projectId}:${role}`);
    notes.push(`role ${role}: named by a role mapping but not defined; created`);
  };
  const clientKnown = new Map<string, Set<string>>();
  for (const [clientId, defs] of Object.entries(clientRoleDefs)) {
    clientKnown.set(clientId, new Set([...(ctx.knownClientRoles?.get(clientId) ?? []), ...arrayOf(defs).map((r) => str(r.name))]));
  }

  for (const u of arrayOf(realm.users)) convertUser(u);

  function convertUser(u: JsonObject): void {
    const username = str(u.username);
    if (!username) {
      notes.push('a user without username was not converted');
      return;
    }
    if (typeof u.serviceAccountClientId === 'string') {
      notes.push(`user ${username}: service-account user of client ${u.serviceAccountClientId} is not carried (use a machine user)`);
      return;
    }
    const email = str(u.email);
    if (!email) {
      notes.push(`user ${username}: not converted: a ZITADEL human user needs an email`);
      return;
    }
    const userId = str(u.id) || userIdOf(orgId, username);
    const user: JsonObject = {
      userName: username,
      profile: { firstName: str(u.firstName) || username, lastName: str(u.lastName) || username },
      email: { email, isEmailVerified: u.emailVerified === true },
    };
    const keptCredentials: JsonObject[] = [];
    for (const cred of arrayOf(u.credentials)) {
      const type = str(cred.type);
      const { secretData: _sd, value: _v, ...meta } = cred;
      if (type === 'password' && typeof cred.value === 'string') {
        user.password = cred.value;
      } else if (type === 'password') {
        const phc = keycloakPasswordToPhc(cred);
        if ('hash' in phc) user.hashedPassword = { value: phc.hash };
        else notes.push(`user ${username}: ${phc.problem}`);
      } else if (type === 'otp') {
        const secret = isJsonObject(parse(cred.secretData)) ? str((parse(cred.secretData) as JsonObject).value) : '';
        if (secret) user.otpCode = otpValueToBase32(secret);
      } else {
        notes.push(`user ${username}: credential type ${type} is not carried`);
        continue;
      }
      keptCredentials.push(meta);
    }
    push('humanUsers', { userId, user, state: u.enabled === false ? 'USER_STATE_INACTIVE' : 'USER_STATE_ACTIVE' });
    const extras: JsonObject = { fields: {} };
    for (const [k, v] of Object.entries(u)) if (!MAPPED_USER_FIELDS.has(k) && k !== 'credentials') (extras.fields as JsonObject)[k] = v;
    extras.names = {
      firstName: u.firstName === undefined ? null : str(u.firstName),
      lastName: u.lastName === undefined ? null : str(u.lastName),
    };
    if (keptCredentials.length) extras.credentials = keptCredentials;
    if (u.realmRoles !== undefined) extras.hasRealmRoles = true;
    push('userMetadata', { id: userId, key: REALM_USER_KEY, value: Buffer.from(JSON.stringify(extras)).toString('base64') });
    for (const f of arrayOf(u.federatedIdentities)) {
      push('userLinks', { userId, idpId: str(f.identityProvider), providedUserId: str(f.userId), providedUserName: str(f.userName) });
    }
    const realmGrant = Array.isArray(u.realmRoles) ? u.realmRoles.filter((r): r is string => typeof r === 'string') : [];
    for (const role of realmGrant) ensureRole(rolesProject, role, definedRealm);
    if (realmGrant.length) push('userGrants', { userId, projectId: rolesProject, roleKeys: realmGrant });
    const clientGrants = isJsonObject(u.clientRoles) ? u.clientRoles : {};
    for (const [clientId, list] of Object.entries(clientGrants)) {
      const projectId = clientProjects.get(clientId) ?? clientProjectId(orgId, clientId);
      const keys = Array.isArray(list) ? list.filter((r): r is string => typeof r === 'string') : [];
      if (!clientKnown.has(clientId)) clientKnown.set(clientId, new Set(ctx.knownClientRoles?.get(clientId) ?? []));
      for (const role of keys) ensureRole(projectId, role, clientKnown.get(clientId) as Set<string>);
      if (keys.length) push('userGrants', { userId, projectId, roleKeys: keys });
    }
  }

  const settings: JsonObject = {};
  for (const [k, v] of Object.entries(realm)) if (!MAPPED_REALM_FIELDS.has(k)) settings[k] = v;
  settings.clients = keptClients;
  settings.roles = { realm: realmRoles, client: clientRoleDefs };
  return { orgId, dataOrg, settings, notes };
}

function parse(v: Json | undefined): Json | undefined {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as Json;
  } catch {
    return undefined;
  }
}
