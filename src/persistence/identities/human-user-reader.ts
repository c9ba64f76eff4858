import type { HumanUserQuery, HumanUserReader, StoredHumanUser } from '../../application/ports.js';
import type { JsonObject } from '../../domain/json.js';
import type { Database } from '../orm.js';
import { translateDbError } from '../repositories/db-errors.js';
import type { SecretsAtRest } from '../secrets/at-rest.js';

interface Row {
  id: string;
  org_id: string;
  payload: JsonObject | string;
  created_at: Date | string;
  changed_at: Date | string;
  has_password: boolean;
  has_otp: boolean;
  password_hash?: string | null;
  otp_secret?: string | null;
  metadata: JsonObject[] | string;
  links: JsonObject[] | string;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/**
 * Human users with their metadata and links in one statement per page (no N+1). Secret
 * columns are selected only when asked for (habit 6: the privileged read is a separate path),
 * and the OTP seed is opened here (it is sealed at rest; the Kratos API's totp credential needs it).
 */
export function createHumanUserReader(db: Database, sealed: SecretsAtRest): HumanUserReader {
  async function select(where: string[], params: unknown[], limit: number, secrets: boolean): Promise<StoredHumanUser[]> {
    const sql = `select u.id, u.org_id, u.payload, u.created_at, u.changed_at,
        s.password_hash is not null as has_password, s.otp_secret is not null as has_otp
        ${secrets ? ', s.password_hash, s.otp_secret' : ''},
        coalesce((select json_agg(m.payload order by m.key) from user_metadata m where m.user_id = u.id), '[]'::json) as metadata,
        coalesce((select json_agg(l.payload order by l.idp_id, l.provided_user_id) from user_link l where l.user_id = u.id), '[]'::json) as links
      from users u left join user_secret s on s.user_id = u.id
      where ${["u.type = 'human'", ...where].join(' and ')}
      order by u.id limit ${Math.max(1, Math.floor(limit))}`;
    let rows: Row[];
    try {
      rows = await db.em().getConnection().execute<Row[]>(sql, params);
    } catch (e) {
      throw translateDbError(e, 'identity');
    }
    return rows.map((r) => {
      const user: StoredHumanUser = {
        id: r.id,
        orgId: r.org_id,
        item: json(r.payload),
        createdAt: new Date(r.created_at),
        changedAt: new Date(r.changed_at),
        metadata: json(r.metadata),
        links: json(r.links),
        has: { password: r.has_password === true, otp: r.has_otp === true },
      };
      if (secrets) user.secrets = sealed.openUserSecrets(r);
      return user;
    });
  }

  return {
    async get(id, secrets) {
      return (await select(['u.id = ?'], [id], 1, secrets))[0];
    },
    list(query: HumanUserQuery, secrets) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.afterId !== undefined) {
        where.push('u.id > ?');
        params.push(query.afterId);
      }
      if (query.orgId !== undefined) {
        where.push('u.org_id = ?');
        params.push(query.orgId);
      }
      if (query.ids !== undefined) {
        if (query.ids.length === 0) return Promise.resolve([]);
        where.push(`u.id in (${query.ids.map(() => '?').join(', ')})`);
        params.push(...query.ids);
      }
      if (query.identifier !== undefined) {
        where.push(`(lower(u.user_name) = lower(?) or lower(u.payload->'user'->'email'->>'email') = lower(?))`);
        params.push(query.identifier, query.identifier);
      }
      return select(where, params, query.limit, secrets);
    },
  };
}
