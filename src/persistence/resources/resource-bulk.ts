import type { EntityManager } from '@mikro-orm/sql';
import type { BulkWrite } from '../../application/ports.js';
import { jsonBytes } from '../../domain/json.js';
import type { ResourceType } from '../../domain/resources/kinds.js';
import type { SecretsAtRest } from '../secrets/at-rest.js';
import { CopyBuffer, copyInto, copyLine, copyLineOf, type OpenCopy, openCopy } from './resource-copy.js';
import { SECRET_KINDS, tableOf } from './resource-sql.js';
import type { RowContext } from './resource-tables.js';

/**
 * COPY of an org's new rows (resource-copy.ts), sealed as the writer's inserts seal them, in a
 * savepoint held open until close(); `stored` runs once they are in, with their count. Users' secrets (password
 * hashes, sealed OTP seeds) are copied into user_secret after their users, when the write closes.
 */
export async function openCopyBulk(
  em: EntityManager,
  sealed: SecretsAtRest,
  target: { kind: ResourceType; orgId: string; ctx: RowContext },
  stored: (count: number) => Promise<void>,
): Promise<BulkWrite> {
  const { kind, orgId, ctx } = target;
  const t = tableOf(kind);
  const withSecrets = SECRET_KINDS.has(kind);
  const idColumn = t.columns.find((c) => c.name === 'id');
  const secrets: string[] = [];
  const columns = t.columns.map((c) => c.name);
  let opened!: (copy: OpenCopy) => void;
  let finish!: (how: 'close' | 'abort') => void;
  const ready = new Promise<OpenCopy>((resolve) => {
    opened = resolve;
  });
  const finishing = new Promise<'close' | 'abort'>((resolve) => {
    finish = resolve;
  });
  const whole = em.transactional(async (inner) => {
    const copy = await openCopy(inner as EntityManager, t.table, columns);
    opened(copy);
    if ((await finishing) === 'abort') {
      await copy.abort();
      throw new Error('bulk write abandoned');
    }
    await copy.end();
    if (secrets.length) await copyInto(inner as EntityManager, 'user_secret', ['user_id', 'password_hash', 'otp_secret'], secrets);
  });
  whole.catch(() => {}); // observed by close() or abort()
  const copy = await Promise.race([ready, whole.then(() => Promise.reject(new Error('bulk write ended before it opened')))]);
  const buffer = new CopyBuffer(copy);
  const written = { rows: 0, bytes: 0 };
  return {
    add(rows) {
      written.rows += rows.length;
      for (const r of rows) {
        const item = sealed.sealItem(kind, r.item);
        // The payload's JSON is made once, for the row and for the byte count (of the open item,
        // which is the same text unless a field was sealed); or not at all, when the caller made it.
        const json = item === r.item && r.json !== undefined ? r.json : JSON.stringify(item);
        written.bytes += item === r.item ? Buffer.byteLength(json) : jsonBytes(r.item);
        const line = copyLineOf(t, item, json, orgId, ctx);
        if (withSecrets) {
          const id = idColumn?.value(item, orgId, ctx);
          secrets.push(copyLine([id, r.secrets?.passwordHash ?? null, sealed.sealOtp(r.secrets?.otpSecret ?? null)]));
        }
        buffer.add(line);
      }
      buffer.flush();
    },
    async close() {
      finish('close');
      await whole;
      await stored(written.rows);
      return { ...written };
    },
    async abort() {
      finish('abort');
      await whole.catch(() => {});
    },
  };
}
