import { resolve } from 'node:path';
import { parseDuration } from './domain/duration.js';
import type { DatabaseConfig } from './persistence/orm.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  host: string;
  port: number;
  database: DatabaseConfig;
  /** Where the first start writes the admin PAT (mode 0600). */
  adminTokenFile: string;
  exportDir: string;
  importDir: string;
  maxRequestBytes: number;
  /** Largest single org in an import file (each org is parsed as one JSON value). */
  maxImportOrgBytes: number;
  passwordHash: { algorithm: 'bcrypt' | 'scrypt'; cost: number };
  bootstrap: { orgName: string; adminUserName: string; tokenLifetimeMs: number };
  logLevel: LogLevel;
  /** Browser origins allowed to call (IDPORT_CORS_ORIGINS, comma-separated; `*` = any). */
  corsOrigins: string[];
  /** How long SIGTERM waits for calls in flight before cancelling them. */
  shutdownGraceMs: number;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

/** Reads configuration from the environment; see the README's configuration table. */
export function loadConfig(env: Env = process.env): Config {
  const home = resolve(env.IDPORT_HOME ?? '.idport');
  const algorithm = env.IDPORT_PASSWORD_HASH ?? 'bcrypt';
  if (algorithm !== 'bcrypt' && algorithm !== 'scrypt') {
    throw new Error(`IDPORT_PASSWORD_HASH must be bcrypt or scrypt, got "${algorithm}"`);
  }
  const logLevel = (env.IDPORT_LOG_LEVEL ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(`IDPORT_LOG_LEVEL must be ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  return {
    host: env.IDPORT_HOST ?? '0.0.0.0',
    port: int(env, 'IDPORT_PORT', 8080),
    database: env.DATABASE_URL
      ? { kind: 'postgres', url: env.DATABASE_URL }
      : { kind: 'pglite', dataDir: env.IDPORT_DATA_DIR ?? resolve(home, 'data') },
    adminTokenFile: env.IDPORT_ADMIN_TOKEN_FILE ?? resolve(home, 'admin.pat'),
    exportDir: resolve(env.IDPORT_EXPORT_DIR ?? resolve(home, 'exports')),
    importDir: resolve(env.IDPORT_IMPORT_DIR ?? resolve(home, 'imports')),
    maxRequestBytes: int(env, 'IDPORT_MAX_REQUEST_BYTES', 64 * 1024 * 1024),
    // Files are streamed org by org; one org is parsed as one string, and V8 strings top out
    // near 512 MiB.
    maxImportOrgBytes: int(env, 'IDPORT_MAX_IMPORT_ORG_BYTES', 480 * 1024 * 1024),
    passwordHash: {
      algorithm,
      cost: int(env, 'IDPORT_PASSWORD_HASH_COST', algorithm === 'bcrypt' ? 10 : 15),
    },
    bootstrap: {
      orgName: env.IDPORT_DEFAULT_ORG ?? 'idport',
      adminUserName: env.IDPORT_ADMIN_USER ?? 'idport-admin',
      tokenLifetimeMs: parseDuration(env.IDPORT_ADMIN_TOKEN_TTL ?? '8760h', 'IDPORT_ADMIN_TOKEN_TTL') ?? 0,
    },
    logLevel,
    corsOrigins: (env.IDPORT_CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== ''),
    shutdownGraceMs: parseDuration(env.IDPORT_SHUTDOWN_GRACE ?? '30s', 'IDPORT_SHUTDOWN_GRACE') ?? 0,
  };
}
