import { hasPermission, type Principal, permissionsOf } from '../../domain/permissions.js';
import type { RealmParts } from './realm-admin.js';

/**
 * Who may do what to a realm. A realm is an org, so an org's own roles reach it as ZITADEL's
 * org roles reach the org (issue 12): ORG_OWNER may export and re-import its realm, an
 * ORG_USER_MANAGER its realm's users. Realm settings, roles and clients are the org's
 * configuration: instance `iam.*` permissions, or `org.*` from a role held in that org. Users
 * need `user.*` there. Creating a realm creates an org, which only an instance role may.
 * Password hashes need the secrets permission, which only instance roles give.
 */
export const REALM_PERMISSIONS = {
  /** What a caller needs somewhere before its request is read (the door check). */
  read: 'org.read',
  write: 'org.write',
  users: 'user.write',
  secrets: 'user.secret.read',
} as const;

/** The realm's configuration: the instance permission, or the org one from a role in that org. */
function onConfig(p: Principal, realm: string, access: 'read' | 'write'): boolean {
  return permissionsOf(p.iamRoles).has(`iam.${access}`) || permissionsOf(p.orgRoles.get(realm) ?? []).has(`org.${access}`);
}

export const realmAccess = {
  /** Exporting `parts` of `realm`, hashes included or not. */
  mayExport(p: Principal, realm: string, parts: RealmParts, withHashes: boolean): boolean {
    if ((parts.roles || parts.clients) && !onConfig(p, realm, 'read')) return false;
    if (parts.users && !hasPermission(p, 'user.read', realm)) return false;
    return !withHashes || hasPermission(p, REALM_PERMISSIONS.secrets);
  },

  /** Importing a whole realm: a new one needs the instance; an existing one its org's owners. */
  mayImport(p: Principal, realm: string, exists: boolean): boolean {
    if (!exists) return permissionsOf(p.iamRoles).has('iam.write') && hasPermission(p, 'user.write', realm);
    return onConfig(p, realm, 'write') && hasPermission(p, 'user.write', realm);
  },

  /** Importing users into `realm`; clients or roles defined with them change its configuration too. */
  mayImportUsers(p: Principal, realm: string, definesConfig: boolean): boolean {
    return hasPermission(p, 'user.write', realm) && (!definesConfig || onConfig(p, realm, 'write'));
  },
};
