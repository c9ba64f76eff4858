import type { EntityManager } from '@mikro-orm/sql';
import type { ResourceReader } from '../../application/ports.js';
import type { SecretsAtRest } from '../secrets/at-rest.js';
import { q, query, SECRET_KINDS, tableOf, whereSql } from './resource-sql.js';

/** Rows fetched per round trip when exporting. */
const PAGE = 2000;

/**
 * Reads one kind of one org for export inside the snapshot transaction. Secrets are opened
 * here, at the boundary: OTP seeds when `otp`, payload secret fields (IdP client secrets) when
 * `passwords`, which are otherwise left out of the JSON.
 */
export function createReader(em: EntityManager, secrets: SecretsAtRest): ResourceReader {
  let cursors = 0;
  const run = <T>(sql: string, params: unknown[] = []) => query<T>(em, sql, params);
  return {
    async orgIds() {
      return (await run<{ id: string }>('select id from org order by id')).map((r) => r.id);
    },

    async *read(kind, orgId, wanted) {
      const t = tableOf(kind);
      const withSecrets = SECRET_KINDS.has(kind) && (wanted.passwords || wanted.otp);
      const secretCols = withSecrets
        ? `, ${wanted.passwords ? 's.password_hash' : 'null as password_hash'}, ${wanted.otp ? 's.otp_secret' : 'null as otp_secret'}`
        : '';
      // One cursor per kind inside the snapshot transaction: a single plan and one ordered
      // scan, fetched a page at a time (measured: 2.5x the rate of keyset pages at 1M users).
      const cursor = `export_${++cursors}`;
      await run(
        `declare ${cursor} no scroll cursor for
         select t.payload::text as payload${secretCols}
         from ${q(t.table)} t ${withSecrets ? 'left join user_secret s on s.user_id = t.id' : ''}
         where ${[`t.${q(t.orgColumn)} = $1`, ...whereSql(t, 't')].join(' and ')}
         order by ${t.key.map((k) => `t.${q(k)}`).join(', ')}`,
        [orgId],
      );
      try {
        for (;;) {
          const rows = await run<{ payload: string; password_hash?: string | null; otp_secret?: string | null }>(
            `fetch ${PAGE} from ${cursor}`,
          );
          for (const r of rows) {
            const json = secrets.exportJson(kind, r.payload, wanted.passwords);
            yield withSecrets ? { json, secrets: secrets.openUserSecrets(r) } : { json };
          }
          if (rows.length < PAGE) return;
        }
      } finally {
        await run(`close ${cursor}`).catch(() => undefined);
      }
    },
  };
}
