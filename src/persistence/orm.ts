import { mkdir } from 'node:fs/promises';
import { Migrator } from '@mikro-orm/migrations';
import type { EntityManager } from '@mikro-orm/sql';
import { entities } from './entities/index.js';
import { migrationsList } from './migrations/index.js';
import { reapDeadConnections } from './pool-reaper.js';

export type DatabaseConfig =
  /** Real PostgreSQL: used whenever DATABASE_URL is set. */
  | { kind: 'postgres'; url: string; poolMax?: number }
  /** Embedded PGlite: a data directory, or "memory://" for a throw-away instance. */
  | { kind: 'pglite'; dataDir: string };

export interface Database {
  readonly kind: DatabaseConfig['kind'];
  /** The connection pool's size; 1 on PGlite (one in-process session every call queues for). */
  readonly poolMax: number;
  /** Fork per unit of work; never share the root EntityManager between requests. */
  em(): EntityManager;
  /** A trivial query: resolves when the database answers (readiness). */
  ping(signal: AbortSignal): Promise<void>;
  /** Connection pool usage, for /metrics. PGlite is one in-process session: max 1. */
  poolStats(): Promise<{ max: number; total: number; idle: number; waiting: number }>;
  close(): Promise<void>;
}

interface PgPoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options: { max: number };
}

const common = {
  entities,
  extensions: [Migrator],
  // Migrations are listed in code, not discovered by glob, so they run the same under tsx,
  // Node's type stripping and jest's ESM runtime.
  migrations: { migrationsList, snapshot: false, transactional: true, silent: true },
  debug: false,
  allowGlobalContext: false,
  discovery: { warnWhenNoEntities: true },
};

/** node-postgres' own default pool size. */
const DEFAULT_POOL_MAX = 10;

/** How long closing waits for the pool to drain. */
const CLOSE_WAIT_MS = 5000;

/** @mikro-orm/postgresql's connection hands out its `pg` Pool as the native client. */
const nativePool = (orm: { em: { getConnection(): unknown } }) =>
  (orm.em.getConnection() as { getNativeClient(): Promise<Parameters<typeof reapDeadConnections>[0]> }).getNativeClient();

/** Opens the database and brings its schema up to date with the committed migrations. */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.kind === 'pglite' && !config.dataDir.includes('://')) await mkdir(config.dataDir, { recursive: true });
  // Only the driver in use is loaded: each is tens of MB of resident memory.
  const orm =
    config.kind === 'postgres'
      ? await (await import('@mikro-orm/postgresql')).MikroORM.init({
          ...common,
          clientUrl: config.url,
          pool: { max: config.poolMax ?? DEFAULT_POOL_MAX },
        })
      : await (await import('@mikro-orm/pglite')).MikroORM.init({ ...common, dbName: config.dataDir });
  await orm.migrator.up();
  if (config.kind === 'postgres') reapDeadConnections(await nativePool(orm));
  return {
    kind: config.kind,
    poolMax: config.kind === 'postgres' ? (config.poolMax ?? DEFAULT_POOL_MAX) : 1,
    em: () => orm.em.fork() as unknown as EntityManager,
    async poolStats() {
      if (config.kind === 'pglite') return { max: 1, total: 1, idle: 0, waiting: 0 };
      const pool = (await nativePool(orm)) as unknown as PgPoolCounts;
      return { max: pool.options.max, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
    },
    async ping(signal) {
      if (signal.aborted) throw signal.reason;
      await orm.em.fork().getConnection().execute('select 1');
    },
    // Bounded: should a connection still be checked out (a call that never ends), the pool's
    // end() would wait for it forever.
    close: () =>
      new Promise<void>((resolve, reject) => {
        setTimeout(resolve, CLOSE_WAIT_MS).unref();
        orm.close(true).then(resolve, reject);
      }),
  };
}
