import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { type KratosMapping, parseKratosMapping } from './application/convert/kratos-traits.js';
import { parseDuration } from './domain/duration.js';
import type { DatabaseConfig } from './persistence/orm.js';
import { parseOldKeys, parseSecretKey, type SecretsKeyConfig } from './secrets-key.js';

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
  /** How deep and how long JSON in a request may be (every protocol, import files too). */
  jsonLimits: { maxDepth: number; maxStringBytes: number };
  passwordHash: { algorithm: 'bcrypt' | 'scrypt'; cost: number };
  bootstrap: { orgName: string; adminUserName: string; tokenLifetimeMs: number };
  logLevel: LogLevel;
  /** IDPORT_S3_ENDPOINTS: the S3 endpoints (`host[:port]`, `*.domain[:port]`) callers may name; empty = S3 off. */
  s3Endpoints: string[];
  /** Bytes per S3 multipart part (≥ 5 MiB, S3's minimum); memory per S3 export ≈ 3 parts. */
  s3PartSize: number;
  /**
   * Which API packages are served: ZITADEL's (always) and idport's own `idport.v1`. Without
   * `idport`, idport is a peer that speaks only ZITADEL's contract (what `migrate` meets at a
   * real ZITADEL).
   */
  services: { idport: boolean };
  /** How Kratos identities map to users (IDPORT_KRATOS_TRAITS, IDPORT_KRATOS_PROVIDERS). */
  kratos: KratosMapping;
  /** Browser origins allowed to call (IDPORT_CORS_ORIGINS, comma-separated; `*` = any). */
  corsOrigins: string[];
  /** How long SIGTERM waits for calls in flight before cancelling them. */
  shutdownGraceMs: number;
  /** The key that seals OTP seeds and IdP client secrets at rest (see secrets-key.ts). */
  secrets: SecretsKeyConfig;
  /**
   * IDPORT_STREAM_IDLE_TIMEOUT: how long a server stream (StreamExport) may wait for its client
   * to read before it is ended and its transaction released; also how long an export waits
   * for one of the pool's export connections.
   */
  streamIdleTimeoutMs: number;
  /**
   * Migration jobs: this replica's name (IDPORT_REPLICA, default host:pid), how long a lease
   * lasts unrenewed before another replica takes the job over (IDPORT_JOB_LEASE), how often an
   * idle replica looks for queued jobs (IDPORT_JOB_POLL).
   */
  jobs: { replica: string; leaseMs: number; pollMs: number };
  /** IDPORT_AUDIT_RETENTION: audit events older than this are pruned; undefined = kept. */
  auditRetentionMs: number | undefined;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

const MiB = 1024 * 1024;

function s3PartSize(env: Env): number {
  const size = int(env, 'IDPORT_S3_PART_SIZE', 8 * MiB);
  // S3 refuses parts below 5 MiB (all but the last), and allows at most 10,000 of them.
  if (size < 5 * MiB) throw new Error(`IDPORT_S3_PART_SIZE must be at least ${5 * MiB} (5 MiB), got ${size}`);
  return size;
}

function positiveDuration(env: Env, name: string, fallback: string): number {
  const raw = env[name] || fallback;
  let ms: number | undefined;
  try {
    ms = parseDuration(raw, name);
  } catch (e) {
    throw new Error((e as Error).message);
  }
  if (ms === undefined || ms <= 0) throw new Error(`${name} must be a positive duration such as "8760h", got "${raw}"`);
  return ms;
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
  const services = (env.IDPORT_SERVICES ?? 'zitadel,idport').split(',').map((s) => s.trim());
  if (!services.includes('zitadel') || services.some((s) => s !== 'zitadel' && s !== 'idport')) {
    throw new Error(`IDPORT_SERVICES must be "zitadel,idport" or "zitadel", got "${env.IDPORT_SERVICES}"`);
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
    // See DEFAULT_JSON_LIMITS (transport/gate/json-bounds.ts) for where the defaults come from.
    jsonLimits: {
      maxDepth: int(env, 'IDPORT_MAX_JSON_DEPTH', 100),
      maxStringBytes: int(env, 'IDPORT_MAX_JSON_STRING_BYTES', 1024 * 1024),
    },
    passwordHash: {
      algorithm,
      cost: int(env, 'IDPORT_PASSWORD_HASH_COST', algorithm === 'bcrypt' ? 10 : 15),
    },
    bootstrap: {
      orgName: env.IDPORT_DEFAULT_ORG ?? 'idport',
      adminUserName: env.IDPORT_ADMIN_USER ?? 'idport-admin',
      tokenLifetimeMs: positiveDuration(env, 'IDPORT_ADMIN_TOKEN_TTL', '8760h'),
    },
    logLevel,
    s3Endpoints: (env.IDPORT_S3_ENDPOINTS ?? '').split(/[\s,]+/).filter((entry) => entry !== ''),
    s3PartSize: s3PartSize(env),
    services: { idport: services.includes('idport') },
    kratos: parseKratosMapping(env.IDPORT_KRATOS_TRAITS, env.IDPORT_KRATOS_PROVIDERS),
    corsOrigins: (env.IDPORT_CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== ''),
    shutdownGraceMs: parseDuration(env.IDPORT_SHUTDOWN_GRACE ?? '30s', 'IDPORT_SHUTDOWN_GRACE') ?? 0,
    secrets: {
      key: env.IDPORT_SECRETS_KEY ? parseSecretKey(env.IDPORT_SECRETS_KEY, 'IDPORT_SECRETS_KEY') : undefined,
      oldKeys: parseOldKeys(env.IDPORT_SECRETS_OLD_KEYS),
      keyFile: resolve(env.IDPORT_SECRETS_KEY_FILE ?? resolve(home, 'secrets.key')),
    },
    streamIdleTimeoutMs: positiveDuration(env, 'IDPORT_STREAM_IDLE_TIMEOUT', '30s'),
    jobs: {
      replica: env.IDPORT_REPLICA || `${hostname()}:${process.pid}`,
      leaseMs: positiveDuration(env, 'IDPORT_JOB_LEASE', '30s'),
      pollMs: positiveDuration(env, 'IDPORT_JOB_POLL', '1s'),
    },
    auditRetentionMs: env.IDPORT_AUDIT_RETENTION ? positiveDuration(env, 'IDPORT_AUDIT_RETENTION', '') : undefined,
  };
}
