import type { JsonObject } from '../../src/domain/json.js';
import { ORG_KIND, RESOURCE_KINDS, type ResourceKind } from '../../src/domain/resources/kinds.js';
import { userNameScope } from '../../src/domain/user-name-scope.js';
import { RESOURCE_TABLES } from '../../src/persistence/resources/resource-tables.js';

/** PostgreSQL COPY text format for one value (`\N` is NULL). */
export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'string' ? value : typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  return text.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] as string);
}

/** Read back with the export's own decoder (src/persistence/resources/copy-text.ts). */
export { fromCopyText } from '../../src/persistence/resources/copy-text.js';

export interface CopyBatch {
  table: string;
  columns: string[];
  lines: string[];
}

/** The org head and every kind of one DataOrg, in import order. */
function kindsOf(org: JsonObject): [ResourceKind, JsonObject[]][] {
  const head: JsonObject = { org: org.org ?? {} };
  if (org.orgState !== undefined) head.orgState = org.orgState;
  const out: [ResourceKind, JsonObject[]][] = [[ORG_KIND, [head]]];
  for (const kind of RESOURCE_KINDS) {
    const v = org[kind.field];
    const items = kind.repeated ? (Array.isArray(v) ? (v as JsonObject[]) : []) : v ? [v as JsonObject] : [];
    if (items.length) out.push([kind, items]);
  }
  return out;
}

/**
 * The rows idport stores for one org, as COPY batches per table: the same tables, columns
 * and payloads the import writes (secrets split off into user_secret), with no validation.
 */
export function copyBatches(org: JsonObject): CopyBatch[] {
  const orgId = String(org.orgId);
  const ctx = { userNameScope: userNameScope(orgId, org.domainPolicy as JsonObject | undefined) };
  const batches: CopyBatch[] = [];
  for (const [kind, items] of kindsOf(org)) {
    const t = RESOURCE_TABLES[kind.type];
    if (!t) continue;
    const columns = t.columns.map((c) => c.name);
    const secrets: string[] = [];
    const lines = items.map((raw) => {
      let item = raw;
      if (kind.type === 'human_user') {
        const { hashedPassword, password: _p, otpCode, ...user } = raw.user as JsonObject;
        item = { ...raw, user };
        const hash = (hashedPassword as JsonObject | undefined)?.value ?? null;
        secrets.push([copyValue(raw.userId), copyValue(hash), copyValue(otpCode ?? null)].join('\t'));
      }
      return t.columns.map((c) => copyValue(c.value(item, orgId, ctx))).join('\t');
    });
    batches.push({ table: t.table, columns, lines });
    if (secrets.length) batches.push({ table: 'user_secret', columns: ['user_id', 'password_hash', 'otp_secret'], lines: secrets });
  }
  return batches;
}
