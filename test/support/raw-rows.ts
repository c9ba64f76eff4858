import type { DatabaseConfig } from '../../src/persistence/orm.js';
import { openDatabase } from '../../src/persistence/orm.js';

/**
 * Every row of every table in the database, each as its JSON text, read with plain SQL and no
 * idport code in between: what someone with a copy of the database sees. The app must be
 * closed first (an embedded PGlite directory has one user at a time).
 */
export async function allRowsAsText(config: DatabaseConfig): Promise<Map<string, string[]>> {
  const db = await openDatabase(config);
  try {
    const conn = db.em().getConnection();
    const tables = await conn.execute<{ table_name: string }[]>(
      `select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`,
    );
    const out = new Map<string, string[]>();
    for (const { table_name } of tables) {
      const rows = await conn.execute<{ row: string }[]>(`select row_to_json(t)::text as row from "${table_name}" t`);
      out.set(
        table_name,
        rows.map((r) => r.row),
      );
    }
    return out;
  } finally {
    await db.close();
  }
}

/** Runs statements on the database with plain SQL (to write rows as an older idport left them). */
export async function runSql(config: DatabaseConfig, statements: [string, unknown[]][]): Promise<void> {
  const db = await openDatabase(config);
  try {
    for (const [sql, params] of statements) await db.em().getConnection().execute(sql, params);
  } finally {
    await db.close();
  }
}
