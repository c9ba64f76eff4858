import type { MachineSecretStore, UserSummary } from '../../application/ports.js';
import type { Database } from '../orm.js';
import { translateDbError } from '../repositories/db-errors.js';

/**
 * A machine user's client secret hash lives in `user_secret.password_hash`, next to where a
 * human user's password hash is: export reads secrets of human users only, so it never leaves.
 */
export function createMachineSecretStore(db: Database): MachineSecretStore {
  const run = async <T>(sql: string, params: unknown[]) => {
    try {
      return await db.em().getConnection().execute<T[]>(sql, params);
    } catch (e) {
      throw translateDbError(e, 'machine secret');
    }
  };
  return {
    async setSecretHash(userId, hash) {
      await run(
        `insert into user_secret (user_id, password_hash, otp_secret) values (?, ?, null)
         on conflict (user_id) do update set password_hash = excluded.password_hash`,
        [userId, hash],
      );
    },
    async findByClientId(clientId) {
      const rows = await run<{ id: string; org_id: string; user_name: string; state: string; password_hash: string | null }>(
        `select u.id, u.org_id, u.user_name, u.state, s.password_hash from users u left join user_secret s on s.user_id = u.id
         where u.type = 'machine' and lower(u.user_name) = lower(?) order by u.id limit 2`,
        [clientId],
      );
      return rows.map((r) => ({
        user: { id: r.id, orgId: r.org_id, type: 'machine', userName: r.user_name, state: r.state } satisfies UserSummary,
        secretHash: r.password_hash,
      }));
    },
  };
}
