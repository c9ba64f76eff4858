import type { EntityManager } from '@mikro-orm/sql';
import type { JsonObject } from '../../domain/json.js';
import { isResourceType } from '../../domain/resources/kinds.js';
import type { SecretCipher, SecretFieldPaths } from '../../domain/sealed-secret.js';
import type { Database } from '../orm.js';
import { RESOURCE_TABLES } from '../resources/resource-tables.js';
import { isSealedDocument } from './at-rest.js';
import { resealPayload } from './payload-secrets.js';

/** OTP seeds re-sealed per statement. */
const BATCH = 1000;

export interface ResealReport {
  /** OTP seeds sealed anew (legacy plaintext or an old key). */
  otpSecrets: number;
  /** Payloads with a secret field sealed anew, and realm settings documents. */
  payloads: number;
  /** Stored job requests (their source or target credentials) sealed anew. */
  jobRequests: number;
}

const jsonpathKey = (key: string) => (key === '*' ? '.*' : `.${JSON.stringify(key)}`);

/**
 * Seals, under the current key, every stored secret that is legacy plaintext or sealed under
 * an old key, in one transaction: a start either leaves everything under the current key or
 * changes nothing. A secret no configured key opens throws SecretKeyError (the start refuses).
 *
 * Rows are picked in SQL, so a start where everything is current reads no payload: OTP seeds by
 * their prefix; payloads with `jsonb_path_exists` in lax mode (which crosses lists by itself,
 * PostgreSQL docs §9.16.2.1) for a non-empty string at a secret path without the current prefix.
 */
export async function resealSecrets(db: Database, cipher: SecretCipher, paths: SecretFieldPaths): Promise<ResealReport> {
  const current = `enc:v1:${cipher.keyId}:`;
  return db.em().transactional(async (tx) => {
    const em = tx as unknown as EntityManager;
    const report: ResealReport = { otpSecrets: 0, payloads: 0, jobRequests: 0 };
    const seeds = await em.execute<{ user_id: string; otp_secret: string }[]>(
      'select user_id, otp_secret from user_secret where otp_secret is not null and left(otp_secret, ?) <> ? order by user_id',
      [current.length, current],
    );
    for (let i = 0; i < seeds.length; i += BATCH) {
      const rows = seeds.slice(i, i + BATCH).map((r) => ({ user_id: r.user_id, otp_secret: cipher.seal(cipher.open(r.otp_secret)) }));
      await em.execute(
        `update user_secret s set otp_secret = r.otp_secret
         from json_to_recordset(?::json) as r(user_id text, otp_secret text) where s.user_id = r.user_id`,
        [JSON.stringify(rows)],
      );
      report.otpSecrets += rows.length;
    }
    for (const [kind, kindPaths] of Object.entries(paths)) {
      if (!isResourceType(kind) || kindPaths.length === 0) continue;
      const t = RESOURCE_TABLES[kind];
      const filters = kindPaths.map(
        (p) => `lax $${p.map(jsonpathKey).join('')} ? (@.type() == "string" && @ != "" && !(@ starts with ${JSON.stringify(current)}))`,
      );
      const fixed = Object.entries(t.where).map(([col, value]) => ({ sql: `"${col}" = ?`, value }));
      const rows = await em.execute<Record<string, unknown>[]>(
        `select ${t.key.map((k) => `"${k}"`).join(', ')}, payload::text as payload from "${t.table}"
         where ${[...fixed.map((f) => f.sql), `(${filters.map(() => 'jsonb_path_exists(payload::jsonb, ?::jsonpath)').join(' or ')})`].join(' and ')}`,
        [...fixed.map((f) => f.value), ...filters],
      );
      for (const row of rows) {
        const { item, changed } = resealPayload(JSON.parse(String(row.payload)) as JsonObject, kindPaths, cipher);
        if (!changed) continue;
        await em.execute(`update "${t.table}" set payload = ?::json where ${t.key.map((k) => `"${k}" = ?`).join(' and ')}`, [
          JSON.stringify(item),
          ...t.key.map((k) => row[k]),
        ]);
        report.payloads++;
      }
    }
    report.payloads += await resealRealmSettings(em, cipher, current);
    report.jobRequests = await resealJobRequests(em, cipher, current);
    return report;
  });
}

/** Realm settings are sealed whole (at-rest.ts sealDocument); legacy ones were stored in clear. */
async function resealRealmSettings(em: EntityManager, cipher: SecretCipher, current: string): Promise<number> {
  const rows = await em.execute<{ org_id: string; payload: string }[]>(
    `select org_id, payload::text as payload from org_setting
     where kind = 'realm' and language = '' and coalesce(left(payload->>'sealed', ?), '') <> ?`,
    [current.length, current],
  );
  for (const row of rows) {
    const stored = JSON.parse(row.payload) as JsonObject;
    const plaintext = isSealedDocument(stored) ? cipher.open(stored.sealed) : row.payload;
    await em.execute(`update org_setting set payload = ?::json where org_id = ? and kind = 'realm' and language = ''`, [
      JSON.stringify({ sealed: cipher.seal(plaintext) }),
      row.org_id,
    ]);
  }
  return rows.length;
}

/**
 * Job requests are sealed whole too (job-store.ts); an older idport stored them in clear. Every
 * job's, ended ones included: a finished job's request still holds the credentials it ran with.
 */
async function resealJobRequests(em: EntityManager, cipher: SecretCipher, current: string): Promise<number> {
  const rows = await em.execute<{ id: string; request: string }[]>(
    `select id, request::text as request from job where coalesce(left(request->>'sealed', ?), '') <> ?`,
    [current.length, current],
  );
  for (const row of rows) {
    const stored = JSON.parse(row.request) as JsonObject;
    const plaintext = isSealedDocument(stored) ? cipher.open(stored.sealed) : row.request;
    await em.execute('update job set request = ?::jsonb where id = ?', [JSON.stringify({ sealed: cipher.seal(plaintext) }), row.id]);
  }
  return rows.length;
}
