import { notFound } from '../../domain/errors.js';
import { canonicalJson, isJsonObject, type Json, type JsonObject, stringAt } from '../../domain/json.js';
import { withSecrets } from '../../domain/resources/prepare.js';
import { type OrgResources, stripRealmSecrets, zitadelToRealm } from '../convert/realm-export.js';
import { clientProjectId, realmRolesProjectId, realmToZitadel } from '../convert/realm-import.js';
import type { ImportCommand } from '../import/import-data.js';
import type { ImportReport, ItemResult } from '../import/import-report.js';
import type { DirectoryStore, RealmSettingsStore, ResourceTransactions } from '../ports.js';

export interface RealmAdminDeps {
  importData(cmd: ImportCommand): Promise<ImportReport>;
  tx: ResourceTransactions;
  directory: Pick<DirectoryStore, 'getOrg' | 'getInstance'>;
  realms: RealmSettingsStore;
}

export type RealmParts = { users: boolean; roles: boolean; clients: boolean };

/** A failed or refused item, for the caller to show. */
export interface RealmProblem {
  type: string;
  id: string;
  message: string;
}

export type RealmImportOutcome =
  | { status: 'created' | 'updated' | 'unchanged'; realm: string; notes: string[]; problems: RealmProblem[] }
  /** conflict: the realm exists with other content; clash: a new realm collides with other data. */
  | { status: 'conflict' | 'clash' | 'invalid'; realm: string; notes: string[]; problems: RealmProblem[] }
  /** The caller may not import this realm (a new one needs instance rights, an existing one the org's). */
  | { status: 'forbidden'; realm: string; notes: string[]; problems: RealmProblem[] };

const KINDS = ['project', 'project_role', 'oidc_app', 'api_app', 'human_user', 'user_metadata', 'user_grant', 'user_link'] as const;
const FIELDS: Record<(typeof KINDS)[number], keyof OrgResources> = {
  project: 'projects',
  project_role: 'projectRoles',
  oidc_app: 'oidcApps',
  api_app: 'apiApps',
  human_user: 'humanUsers',
  user_metadata: 'userMetadata',
  user_grant: 'userGrants',
  user_link: 'userLinks',
};

const problemsOf = (results: ItemResult[]) =>
  results.filter((r) => r.outcome === 'failed').map((r) => ({ type: r.type, id: r.id, message: r.message ?? 'failed' }));
const isConflict = (p: RealmProblem) => /IMPORT-(conflict|unique|other-org)|DB-unique/.test(p.message);

/**
 * The realm API (Keycloak-style realm export and import) on idport's store: a realm is an org,
 * and every write goes through the same importer as ZITADEL's ImportData.
 */
export function createRealmAdmin(deps: RealmAdminDeps) {
  async function read(orgId: string, withHashes: boolean, signal: AbortSignal): Promise<OrgResources> {
    const org = await deps.directory.getOrg(orgId);
    if (!org) throw notFound('REALM-not-found', `Realm ${orgId} not found`);
    const out: OrgResources = {
      orgId,
      orgName: org.name,
      orgActive: org.state === 'ORG_STATE_ACTIVE',
      settings: await deps.realms.get(orgId),
      projects: [],
      projectRoles: [],
      oidcApps: [],
      apiApps: [],
      humanUsers: [],
      userMetadata: [],
      userGrants: [],
      userLinks: [],
    };
    await deps.tx.read(signal, async (reader) => {
      for (const kind of KINDS) {
        const list = out[FIELDS[kind]] as JsonObject[];
        for await (const batch of reader.read(kind, orgId, { passwords: withHashes, otp: withHashes })) {
          for (const row of batch) {
            const item = JSON.parse(row.json) as JsonObject;
            list.push(row.secrets ? withSecrets(item, row.secrets) : item);
          }
        }
      }
    });
    return out;
  }

  /**
   * Imports one org's data; users in `shield` (holders of instance roles, for an org-level
   * caller) are left out with everything naming them, and answer as failed.
   */
  async function run(
    dataOrg: JsonObject,
    policy: ImportCommand['conflictPolicy'],
    dryRun: boolean,
    signal: AbortSignal,
    shield: ReadonlySet<string> = new Set(),
  ): Promise<ItemResult[]> {
    const { kept, refused } = withoutShielded(dataOrg, shield);
    const results = (await deps.importData({ source: { kind: 'inline', orgs: [kept] }, conflictPolicy: policy, dryRun, signal })).results;
    return [...results, ...refused];
  }

  return {
    /**
     * The org a realm path names: Keycloak's `master` is the instance's default org (as for the
     * token endpoint, client-credentials.ts), any other realm the org of that id.
     */
    async orgOfRealm(realm: string): Promise<string> {
      if (realm !== 'master') return realm;
      return (await deps.directory.getInstance())?.defaultOrgId ?? realm;
    },

    /** GET /admin/realms/{realm}/export (or one part of it). */
    async exportRealm(realm: string, parts: RealmParts, withHashes: boolean, signal: AbortSignal): Promise<JsonObject> {
      const exported = zitadelToRealm(await read(realm, withHashes, signal), parts);
      // The kept settings' secrets (IdP client secrets, SMTP password) leave only with hashes.
      return withHashes ? exported : stripRealmSecrets(exported);
    },

    /**
     * POST /admin/realms/import: a new realm is created; one that exists is left alone when
     * identical (so seeding is idempotent), refused when different unless `overwrite`. Checked
     * whole first (a dry run): a realm with invalid parts writes nothing.
     */
    async importRealm(
      body: Json,
      overwrite: boolean,
      signal: AbortSignal,
      may: (orgId: string, exists: boolean) => boolean = () => true,
      shield: ReadonlySet<string> = new Set(),
    ): Promise<RealmImportOutcome> {
      const converted = realmToZitadel(body);
      const { orgId, settings, notes } = converted;
      const exists = (await deps.directory.getOrg(orgId)) !== undefined;
      // Before any look at the content: whether it differs is not the caller's to learn.
      if (!may(orgId, exists)) return { status: 'forbidden', realm: orgId, notes: [], problems: [] };
      const dataOrg: JsonObject = exists
        ? converted.dataOrg
        : { ...converted.dataOrg, org: { name: stringAt(settings, 'realm') || orgId } };
      const dry = await run(dataOrg, 'fail', true, signal);
      // A realm is one unit: one that would change a shielded user is refused whole.
      const touched = dry.filter((r) => r.outcome !== 'unchanged' && shield.has(userOf(r)));
      if (touched.length > 0) {
        const problems = touched.map((r) => ({ type: r.type, id: r.id, message: shieldedMessage(userOf(r)) }));
        return { status: 'forbidden', realm: orgId, notes, problems };
      }
      const problems = problemsOf(dry);
      const invalid = problems.filter((p) => !isConflict(p));
      if (invalid.length) return { status: 'invalid', realm: orgId, notes, problems: invalid };
      // A new realm that clashes with something else (an org of that name, a taken user name).
      if (!exists && problems.length) return { status: 'clash', realm: orgId, notes, problems };
      if (exists) {
        const same =
          problems.length === 0 &&
          dry.every((r) => r.outcome === 'unchanged') &&
          canonicalJson(await deps.realms.get(orgId)) === canonicalJson(settings);
        if (same) return { status: 'unchanged', realm: orgId, notes, problems: [] };
        if (!overwrite) return { status: 'conflict', realm: orgId, notes, problems };
      }
      const written = problemsOf(await run(dataOrg, exists ? 'overwrite' : 'fail', false, signal));
      await deps.realms.put(orgId, settings);
      return { status: exists ? 'updated' : 'created', realm: orgId, notes, problems: written };
    },

    /**
     * POST /admin/realms/{realm}/users/import: existing users are skipped unless `mergeUsers`;
     * a client that exists already is a conflict (nothing written); roles that mappings name but
     * nobody defined are created.
     */
    async importUsers(realm: string, body: Json, mergeUsers: boolean, signal: AbortSignal, shield: ReadonlySet<string> = new Set()) {
      const current = await read(realm, false, signal);
      const part: JsonObject = Array.isArray(body) ? { users: body } : isJsonObject(body) ? body : {};
      const clients = Array.isArray(part.clients) ? part.clients.filter(isJsonObject) : [];
      const existingProjects = new Set(current.projects.map((p) => stringAt(p, 'projectId')));
      const taken = clients.filter((c) => existingProjects.has(clientProjectId(realm, stringAt(c, 'clientId'))));
      if (taken.length) return { conflict: `Client ${stringAt(taken[0] ?? {}, 'clientId')} already exists` } as const;

      const knownRealmRoles = new Set(
        current.projectRoles.filter((r) => stringAt(r, 'projectId') === realmRolesProjectId(realm)).map((r) => stringAt(r, 'roleKey')),
      );
      const knownClientRoles = new Map<string, Set<string>>();
      for (const c of Array.isArray(current.settings?.clients) ? current.settings.clients.filter(isJsonObject) : []) {
        const clientId = stringAt(c, 'clientId');
        const projectId = clientProjectId(realm, clientId);
        knownClientRoles.set(
          clientId,
          new Set(current.projectRoles.filter((r) => stringAt(r, 'projectId') === projectId).map((r) => stringAt(r, 'roleKey'))),
        );
      }
      const name = stringAt(current.settings ?? {}, 'realm') || realm;
      const converted = realmToZitadel({ ...part, realm: name }, { orgId: realm, knownRealmRoles, knownClientRoles });
      const results = await run(converted.dataOrg, mergeUsers ? 'overwrite' : 'skip', false, signal, shield);

      // Clients and role definitions the body brought join the kept representations.
      const settings: JsonObject = { ...(current.settings ?? { realm: name }) };
      const keptClients = Array.isArray(settings.clients) ? settings.clients : [];
      settings.clients = [...keptClients, ...(Array.isArray(converted.settings.clients) ? converted.settings.clients : [])];
      const keptRoles = isJsonObject(settings.roles) ? settings.roles : {};
      const newRoles = isJsonObject(converted.settings.roles) ? converted.settings.roles : {};
      settings.roles = {
        realm: [...(Array.isArray(keptRoles.realm) ? keptRoles.realm : []), ...(Array.isArray(newRoles.realm) ? newRoles.realm : [])],
        client: { ...(isJsonObject(keptRoles.client) ? keptRoles.client : {}), ...(isJsonObject(newRoles.client) ? newRoles.client : {}) },
      };
      const definesRoles =
        (Array.isArray(newRoles.realm) && newRoles.realm.length > 0) ||
        (isJsonObject(newRoles.client) && Object.keys(newRoles.client).length > 0);
      if (clients.length > 0 || definesRoles) await deps.realms.put(realm, settings);
      return { results, notes: converted.notes } as const;
    },
  };
}

export type RealmAdmin = ReturnType<typeof createRealmAdmin>;

/** The user a result is about (user metadata names it as `id`). */
const userOf = (r: ItemResult) => stringAt(r.item, r.type === 'user_metadata' ? 'id' : 'userId');

const shieldedMessage = (id: string) =>
  `user ${id} holds an instance-level role: an org-level role cannot change it (AUTH-target-instance)`;

/** Kinds that name a user, and the field that does (user metadata names it as `id`). */
const USER_FIELDS: Record<string, string> = { humanUsers: 'userId', userMetadata: 'id', userGrants: 'userId', userLinks: 'userId' };

function withoutShielded(dataOrg: JsonObject, shield: ReadonlySet<string>): { kept: JsonObject; refused: ItemResult[] } {
  if (shield.size === 0) return { kept: dataOrg, refused: [] };
  const kept: JsonObject = { ...dataOrg };
  const refused: ItemResult[] = [];
  for (const [field, key] of Object.entries(USER_FIELDS)) {
    const items = Array.isArray(dataOrg[field]) ? (dataOrg[field] as Json[]).filter(isJsonObject) : [];
    kept[field] = items.filter((i) => !shield.has(stringAt(i, key)));
    if (field !== 'humanUsers') continue;
    for (const u of items.filter((i) => shield.has(stringAt(i, 'userId')))) {
      const id = stringAt(u, 'userId');
      refused.push({
        orgId: stringAt(dataOrg, 'orgId'),
        type: 'human_user',
        id,
        outcome: 'failed',
        message: shieldedMessage(id),
        item: { userId: id },
      });
    }
  }
  return { kept, refused };
}
