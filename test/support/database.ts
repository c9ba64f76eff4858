import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/persistence/orm.js';

/** A database of its own for one suite (or one test); `drop()` removes it and is safe to call twice. */
export interface TestDatabase {
  config: DatabaseConfig;
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /**
   * PGlite only: keep the data in a temporary directory instead of `memory://`, so a second
   * app can open the same database after the first one closed (restart tests). PostgreSQL
   * databases always outlive the app that used them until `drop()`.
   */
  onDisk?: boolean;
}

/**
 * The same suites run on the embedded default and on real PostgreSQL (STYLE.md habit 14):
 * with `DATABASE_URL` set, each call creates a fresh `idport_t_<random>` database on that
 * server; without it, a throw-away PGlite instance.
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) return createPostgresDatabase(serverUrl);
  if (!options.onDisk) return { config: { kind: 'pglite', dataDir: 'memory://' }, drop: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'idport-pglite-'));
  return {
    config: { kind: 'pglite', dataDir: dir },
    drop: () => rm(dir, { recursive: true, force: true }),
  };
}

async function createPostgresDatabase(serverUrl: string): Promise<TestDatabase> {
  // Unquoted identifiers fold to lower case; hex keeps the name a valid one without quoting.
  const name = `idport_t_${randomBytes(8).toString('hex')}`;
  await onServer(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    // A small pool: suites run in parallel jest workers against one server.
    config: { kind: 'postgres', url: url.toString(), poolMax: 4 },
    async drop() {
      if (dropped) return;
      dropped = true;
      // FORCE (PostgreSQL 13+) ends connections a failed test may have left behind.
      await onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Runs one statement on the server's maintenance connection (`DATABASE_URL` as given). */
async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
