import { invalidArgument, isDomainError } from '../../domain/errors.js';
import { isJsonObject, type Json, type JsonObject, stringAt } from '../../domain/json.js';
import { type OrgResources, zitadelToRealm } from './realm-export.js';
import { realmToZitadel } from './realm-import.js';

/** Realm files (one RealmRepresentation or an array of them) ↔ a ZITADEL export, offline. */
export function realmFileToZitadel(input: Json): { output: Json; converted: number; problems: string[] } {
  const realms = Array.isArray(input) ? input : [input];
  const problems: string[] = [];
  const orgs: JsonObject[] = [];
  for (const realm of realms) {
    try {
      const c = realmToZitadel(realm);
      orgs.push({ orgId: c.orgId, org: { name: stringAt(c.settings, 'realm') || c.orgId }, ...withoutOrgId(c.dataOrg) });
      for (const n of c.notes) problems.push(`realm ${c.orgId}: ${n}`);
      const settings = Object.keys(c.settings).filter((k) => !['realm', 'id', 'clients', 'roles'].includes(k));
      if (settings.length) {
        problems.push(
          `realm ${c.orgId}: settings not carried into a ZITADEL export (idport's realm API keeps them): ${settings.join(', ')}`,
        );
      }
    } catch (e) {
      if (!isDomainError(e)) throw e;
      problems.push(`a realm was not converted: ${e.message}`);
    }
  }
  return { output: { orgs }, converted: orgs.length, problems };
}

function withoutOrgId(dataOrg: JsonObject): JsonObject {
  const { orgId: _o, ...rest } = dataOrg;
  return rest;
}

const list = (org: JsonObject, field: string) => (Array.isArray(org[field]) ? (org[field] as Json[]).filter(isJsonObject) : []);

export function zitadelFileToRealm(input: Json): { output: Json; converted: number; problems: string[] } {
  const orgs = isJsonObject(input) && Array.isArray(input.orgs) ? input.orgs.filter(isJsonObject) : undefined;
  if (!orgs) throw invalidArgument('CONVERT-zitadel-input', 'ZITADEL input must be an export: {"orgs": [...]}');
  const problems: string[] = [];
  const realms = orgs.map((org) => {
    const orgId = stringAt(org, 'orgId');
    for (const field of ['machineUsers', 'orgMembers', 'projectGrants', 'actions', 'domains']) {
      const n = list(org, field).length;
      if (n > 0) problems.push(`org ${orgId}: ${n} ${field} not converted (a realm has no counterpart)`);
    }
    const resources: OrgResources = {
      orgId,
      orgName: stringAt(org, 'org.name'),
      orgActive: stringAt(org, 'orgState') !== 'ORG_STATE_INACTIVE',
      settings: { realm: orgId, displayName: stringAt(org, 'org.name') },
      projects: list(org, 'projects'),
      projectRoles: list(org, 'projectRoles'),
      oidcApps: list(org, 'oidcApps'),
      apiApps: list(org, 'apiApps'),
      humanUsers: list(org, 'humanUsers'),
      userMetadata: list(org, 'userMetadata'),
      userGrants: list(org, 'userGrants'),
      userLinks: list(org, 'userLinks'),
    };
    return zitadelToRealm(resources, { users: true, roles: true, clients: true });
  });
  return { output: realms.length === 1 ? (realms[0] as JsonObject) : realms, converted: realms.length, problems };
}
