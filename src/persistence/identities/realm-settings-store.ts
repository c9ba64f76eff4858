import type { RealmSettingsStore } from '../../application/ports.js';
import type { JsonObject } from '../../domain/json.js';
import type { Database } from '../orm.js';
import { translateDbError } from '../repositories/db-errors.js';
import type { SecretsAtRest } from '../secrets/at-rest.js';

/**
 * Realm settings kept in `org_setting` under a kind of their own (`realm`): the row goes when
 * the org goes, and ZITADEL's export, which reads only the kinds it knows, never sees it.
 * Sealed whole at rest (SecretsAtRest.sealDocument): a realm's settings are Keycloak's JSON,
 * secrets included, with no proto to mark them.
 */
export function createRealmSettingsStore(db: Database, sealed: SecretsAtRest): RealmSettingsStore {
  const run = async <T>(sql: string, params: unknown[]) => {
    try {
      return await db.em().getConnection().execute<T[]>(sql, params);
    } catch (e) {
      throw translateDbError(e, 'realm settings');
    }
  };
  return {
    async get(orgId) {
      const rows = await run<{ payload: JsonObject | string }>(
        `select payload from org_setting where org_id = ? and kind = 'realm' and language = ''`,
        [orgId],
      );
      const p = rows[0]?.payload;
      return p === undefined ? undefined : sealed.openDocument(typeof p === 'string' ? (JSON.parse(p) as JsonObject) : p);
    },
    async put(orgId, settings) {
      await run(
        `insert into org_setting (org_id, kind, language, payload) values (?, 'realm', '', ?)
         on conflict (org_id, kind, language) do update set payload = excluded.payload`,
        [orgId, JSON.stringify(sealed.sealDocument(settings))],
      );
    },
  };
}
