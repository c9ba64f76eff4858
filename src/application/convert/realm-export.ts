import { isJsonObject, type Json, type JsonObject, stringAt, stringsAt } from '../../domain/json.js';
import { base32ToOtpValue, phcToKeycloakPassword } from './realm-credentials.js';
import { clientProjectId, REALM_USER_KEY, realmRolesProjectId } from './realm-import.js';

/** An org's resources as the realm export reads them (zitadel.admin.v1.DataOrg field names). */
export interface OrgResources {
  orgId: string;
  orgName: string;
  orgActive: boolean;
  settings: JsonObject | undefined;
  projects: JsonObject[];
  projectRoles: JsonObject[];
  oidcApps: JsonObject[];
  apiApps: JsonObject[];
  /** With `user.hashedPassword` / `user.otpCode` only when hashes were asked for. */
  humanUsers: JsonObject[];
  userMetadata: JsonObject[];
  userGrants: JsonObject[];
  userLinks: JsonObject[];
}

/** What Keycloak writes in place of a client secret in an export. */
export const REDACTED = '**********';

const arrayOf = (v: Json | undefined): JsonObject[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);

function userExtras(metadata: JsonObject[], userId: string): JsonObject {
  const item = metadata.find((m) => m.id === userId && m.key === REALM_USER_KEY);
  if (!item || typeof item.value !== 'string') return {};
  try {
    const parsed = JSON.parse(Buffer.from(item.value, 'base64').toString('utf8')) as Json;
    return isJsonObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/**
 * An org → a realm representation: kept realm settings, roles from the realm-roles project and
 * the client projects, clients with their secrets redacted, users with their role mappings.
 * `parts` limits the output (`users/export` etc.); credentials appear only for users whose
 * hashes were read (the caller asked, and holds the secrets permission).
 */
export function zitadelToRealm(r: OrgResources, parts: { users: boolean; roles: boolean; clients: boolean }): JsonObject {
  const settings = r.settings ?? {};
  const { clients: keptClientsJson, roles: keptRolesJson, ...realmFields } = settings;
  const keptClients = arrayOf(keptClientsJson);
  const keptRoles = isJsonObject(keptRolesJson) ? keptRolesJson : {};
  const rolesProject = realmRolesProjectId(r.orgId);

  const clientByProject = new Map<string, string>();
  for (const c of keptClients) clientByProject.set(clientProjectId(r.orgId, String(c.clientId)), String(c.clientId));
  for (const p of r.projects) {
    const id = stringAt(p, 'projectId');
    if (id !== rolesProject && !clientByProject.has(id)) clientByProject.set(id, stringAt(p, 'project.name') || id);
  }

  const roleRep = (role: JsonObject, kept: JsonObject[], clientRole: boolean): JsonObject => {
    const key = stringAt(role, 'roleKey');
    const before = kept.find((k) => k.name === key);
    if (before) return before;
    const display = stringAt(role, 'displayName');
    return { name: key, ...(display && display !== key ? { description: display } : {}), composite: false, clientRole };
  };

  /** Roles in the order the realm listed them (the store keeps them in key order); new ones after. */
  const inKeptOrder = (roles: JsonObject[], kept: JsonObject[]) => {
    const rank = (r: JsonObject) => {
      const i = kept.findIndex((k) => k.name === stringAt(r, 'roleKey'));
      return i < 0 ? kept.length : i;
    };
    return [...roles].sort((a, b) => rank(a) - rank(b));
  };

  const realm: JsonObject = { ...realmFields, realm: typeof realmFields.realm === 'string' ? realmFields.realm : r.orgId };
  if (realm.enabled === undefined || !r.orgActive) realm.enabled = r.orgActive;

  if (parts.roles) {
    const keptRealm = arrayOf(keptRoles.realm);
    const keptClient = isJsonObject(keptRoles.client) ? keptRoles.client : {};
    const client: JsonObject = {};
    for (const [projectId, clientId] of clientByProject) {
      const list = r.projectRoles.filter((pr) => stringAt(pr, 'projectId') === projectId);
      const kept = arrayOf(keptClient[clientId]);
      if (list.length || keptClient[clientId] !== undefined)
        client[clientId] = inKeptOrder(list, kept).map((pr) => roleRep(pr, kept, true));
    }
    realm.roles = {
      realm: inKeptOrder(
        r.projectRoles.filter((pr) => stringAt(pr, 'projectId') === rolesProject),
        keptRealm,
      ).map((pr) => roleRep(pr, keptRealm, false)),
      client,
    };
  }

  if (parts.clients) {
    realm.clients = [...clientByProject].map(([projectId, clientId]) => {
      const before = keptClients.find((c) => c.clientId === clientId);
      const app = [...r.oidcApps, ...r.apiApps].find((a) => stringAt(a, 'app.projectId') === projectId);
      const out: JsonObject = before ? { ...before } : { clientId, name: stringAt(app ?? {}, 'app.name') || clientId };
      if (!before && app) {
        out.publicClient = stringAt(app, 'app.authMethodType') === 'OIDC_AUTH_METHOD_TYPE_NONE';
        out.bearerOnly = r.apiApps.includes(app);
        out.redirectUris = stringsAt(app, 'app.redirectUris');
        out.protocol = 'openid-connect';
      }
      // Secrets never leave (Keycloak's partial export redacts them the same way).
      if (before ? before.secret !== undefined : out.publicClient !== true && out.bearerOnly !== true) out.secret = REDACTED;
      return out;
    });
  }

  if (parts.users) {
    realm.users = r.humanUsers.map((h) => {
      const userId = stringAt(h, 'userId');
      const user = isJsonObject(h.user) ? h.user : {};
      const extras = userExtras(r.userMetadata, userId);
      const names = isJsonObject(extras.names) ? extras.names : {};
      const userName = stringAt(user, 'userName');
      const out: JsonObject = { id: userId, username: userName };
      for (const n of ['firstName', 'lastName'] as const) {
        const value = stringAt(user, `profile.${n}`);
        // A name ZITADEL had to fill in (the realm had none) is not invented on the way back.
        if (names[n] === null && value === userName) continue;
        out[n] = value;
      }
      out.email = stringAt(user, 'email.email');
      out.emailVerified = isJsonObject(user.email) && user.email.isEmailVerified === true;
      out.enabled = stringAt(h, 'state') !== 'USER_STATE_INACTIVE';
      Object.assign(out, isJsonObject(extras.fields) ? extras.fields : {});
      const credentials = credentialsOf(user, arrayOf(extras.credentials));
      if (credentials.length) out.credentials = credentials;
      const grants = r.userGrants.filter((g) => stringAt(g, 'userId') === userId);
      const realmRoles = grants.filter((g) => stringAt(g, 'projectId') === rolesProject).flatMap((g) => stringsAt(g, 'roleKeys'));
      if (realmRoles.length || extras.hasRealmRoles === true) out.realmRoles = realmRoles;
      const clientRoles: JsonObject = {};
      for (const g of grants) {
        const clientId = clientByProject.get(stringAt(g, 'projectId'));
        if (clientId) clientRoles[clientId] = stringsAt(g, 'roleKeys');
      }
      if (Object.keys(clientRoles).length) out.clientRoles = clientRoles;
      const links = r.userLinks.filter((l) => stringAt(l, 'userId') === userId);
      if (links.length && out.federatedIdentities === undefined) {
        out.federatedIdentities = links.map((l) => ({
          identityProvider: stringAt(l, 'idpId'),
          userId: stringAt(l, 'providedUserId'),
          userName: stringAt(l, 'providedUserName'),
        }));
      }
      return out;
    });
  }
  return realm;
}

/** Password and OTP credentials, only when the user item carries secrets (hashes were asked for). */
function credentialsOf(user: JsonObject, kept: JsonObject[]): JsonObject[] {
  const out: JsonObject[] = [];
  const hash = stringAt(user, 'hashedPassword.value');
  if (hash) {
    const keycloak = phcToKeycloakPassword(hash);
    const meta = kept.find((c) => c.type === 'password') ?? { type: 'password' };
    if (keycloak) out.push({ ...meta, secretData: keycloak.secretData, credentialData: meta.credentialData ?? keycloak.credentialData });
  }
  const otp = stringAt(user, 'otpCode');
  if (otp) {
    const meta = kept.find((c) => c.type === 'otp') ?? { type: 'otp' };
    out.push({ ...meta, secretData: JSON.stringify({ value: base32ToOtpValue(otp) }) });
  }
  return out;
}

/** Component config keys Keycloak's key and user-federation providers mark secret (ProviderConfigProperty.isSecret). */
const COMPONENT_SECRETS = new Set(['privateKey', 'secret', 'keystorePassword', 'keyPassword', 'bindCredential', 'clientSecret']);

/**
 * A realm export for a caller who did not ask for (or may not read) secrets: the kept settings'
 * secrets become `**********`, as Keycloak's partial export writes them (keycloak/keycloak
 * `StripSecretsUtils`): identity providers' `clientSecret`, the SMTP `password`, and secret
 * config values of components.
 */
export function stripRealmSecrets(realm: JsonObject): JsonObject {
  const out = structuredClone(realm);
  for (const idp of arrayOf(out.identityProviders)) {
    if (isJsonObject(idp.config) && typeof idp.config.clientSecret === 'string') idp.config.clientSecret = REDACTED;
  }
  if (isJsonObject(out.smtpServer) && typeof out.smtpServer.password === 'string') out.smtpServer.password = REDACTED;
  if (isJsonObject(out.components)) {
    for (const list of Object.values(out.components)) {
      for (const component of arrayOf(list)) {
        if (!isJsonObject(component.config)) continue;
        for (const key of Object.keys(component.config)) {
          if (COMPONENT_SECRETS.has(key)) component.config[key] = Array.isArray(component.config[key]) ? [REDACTED] : REDACTED;
        }
      }
    }
  }
  return out;
}
