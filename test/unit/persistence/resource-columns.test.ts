/**
 * The resource store writes hand-made SQL (resource-tables.ts, resource-store.ts) against tables
 * whose schema MikroORM owns (entities/, migrations/). This contract test reads MikroORM's
 * metadata, without a database, and checks that every column the SQL names exists in the table
 * it names, with a matching type, and that each kind's key is a key the database enforces (the
 * insert's ON CONFLICT relies on it). A renamed column fails here, not on a customer's import.
 */
import type { EntityMetadata } from '@mikro-orm/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { KIND_BY_TYPE } from '../../../src/domain/resources/kinds.js';
import { entities } from '../../../src/persistence/entities/index.js';
import { REF_TABLES, RESOURCE_TABLES } from '../../../src/persistence/resources/resource-tables.js';

// Discovery only: the constructor reads the entities; nothing connects to this address.
const orm = new MikroORM({ entities, clientUrl: 'postgresql://nobody@127.0.0.1:1/none' });
afterAll(() => orm.close(true));

const byTable = new Map<string, EntityMetadata>([...orm.getMetadata().getAll().values()].map((m) => [m.tableName, m]));

/** Column name → its SQL type as MikroORM declares it. */
function columnsOf(table: string): Map<string, string> {
  const meta = byTable.get(table);
  if (!meta) throw new Error(`no entity maps table ${table}`);
  const out = new Map<string, string>();
  for (const prop of Object.values(meta.properties)) {
    (prop.fieldNames ?? []).forEach((name, i) => {
      out.set(name, String(prop.columnTypes?.[i] ?? prop.type).toLowerCase());
    });
  }
  return out;
}

/** Column sets the database keeps unique: the primary key and every unique index. */
function uniqueKeys(table: string): string[][] {
  const meta = byTable.get(table) as EntityMetadata;
  const fields = (names: readonly string[]) => names.flatMap((n) => meta.properties[n]?.fieldNames ?? [n]);
  const keys = [fields(meta.primaryKeys)];
  for (const u of meta.uniques) keys.push(fields(([] as string[]).concat((u.properties as string | string[]) ?? [])));
  for (const prop of Object.values(meta.properties)) if (prop.unique) keys.push(prop.fieldNames);
  return keys;
}

const TYPE_OF: Record<'text' | 'boolean' | 'json', RegExp> = { text: /char|text|string/, boolean: /bool/, json: /json/ };
const sorted = (a: readonly string[]) => [...a].sort();

test('every resource kind has a table, and every kind in the tables is a registry kind', () => {
  expect(sorted(Object.keys(RESOURCE_TABLES))).toEqual(sorted([...KIND_BY_TYPE.keys()]));
});

describe.each(Object.entries(RESOURCE_TABLES))('%s', (_kind, t) => {
  test('its columns exist in the table, with compatible types', () => {
    const columns = columnsOf(t.table);
    const wrong = t.columns
      .filter((c) => !TYPE_OF[c.type].test(columns.get(c.name) ?? ''))
      .map((c) => `${c.name}: ${c.type} vs ${columns.get(c.name) ?? 'missing'}`);
    expect(wrong).toEqual([]);
    const named = [...t.key, ...Object.keys(t.where), t.orgColumn];
    expect(named.filter((n) => !columns.has(n))).toEqual([]);
  });

  test('its key (with the columns that select the kind) is unique in the database', () => {
    const key = sorted([...new Set([...t.key, ...Object.keys(t.where)])]);
    const enforced = uniqueKeys(t.table).map((k) => sorted(k));
    // A kind sharing a table with others (idp, app, users) keys by id alone: id is the primary key.
    expect(enforced.some((k) => k.every((c) => key.includes(c)) && k.length > 0)).toBe(true);
  });
});

describe.each(Object.entries(REF_TABLES))('reference %s', (_kind, r) => {
  test('the columns of its id and org expressions exist', () => {
    const columns = columnsOf(r.table);
    // Identifiers outside quoted literals, e.g. "project_id || '_' || role_key".
    const names = `${r.idExpr} ${r.orgExpr}`.replace(/'[^']*'/g, ' ').match(/[a-z_][a-z0-9_]*/g) ?? [];
    expect(names.filter((n) => !columns.has(n))).toEqual([]);
  });
});

test('the columns resource-store.ts names in its own SQL exist', () => {
  const used: Record<string, string[]> = {
    user_secret: ['user_id', 'password_hash', 'otp_secret'],
    users: ['id', 'org_id', 'user_name_scope'],
    org_setting: ['org_id', 'kind', 'language', 'payload'],
    org: ['id'],
  };
  const missing = Object.entries(used).flatMap(([table, names]) =>
    names.filter((n) => !columnsOf(table).has(n)).map((n) => `${table}.${n}`),
  );
  expect(missing).toEqual([]);
});
