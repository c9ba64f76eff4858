import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/application/ports.js';
import { createApp } from '../../src/compose.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Logger } from '../../src/log.js';
import { createTestDatabase } from './database.js';
import { TEST_SECRETS_KEY } from './secrets.js';

export interface TestApp {
  /** `http://127.0.0.1:<port>`: every protocol is served here. */
  url: string;
  port: number;
  /**
   * The admin PAT: the one minted by this start, or, on a restart, the one the first start
   * wrote to `config.adminTokenFile`.
   */
  token: string;
  /** What createApp returned: the PAT on the start that created the instance, else undefined. */
  bootstrapToken: string | undefined;
  config: Config;
  exportDir: string;
  importDir: string;
  /** Stops the server, then drops the database and temp dirs this helper created (not overrides). */
  close(): Promise<void>;
  /** The graceful stop SIGTERM runs (drain, grace, cancel); call close() afterwards to clean up. */
  shutdown(): Promise<{ cancelled: number }>;
}

export interface TestAppOptions {
  clock?: Clock;
  logger?: Logger;
}

/**
 * Boots the real app the way `main` does (STYLE.md habit 12), on 127.0.0.1 and a free port,
 * with its own database (see createTestDatabase) and temp export/import dirs and token file.
 * Pass `overrides.database` (and `adminTokenFile`) to reuse a database across starts; the
 * helper then leaves both in place on close.
 */
export async function startTestApp(overrides: Partial<Config> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const root = await mkdtemp(join(tmpdir(), 'idport-app-'));
  const exportDir = join(root, 'exports');
  const importDir = join(root, 'imports');
  await Promise.all([mkdir(exportDir), mkdir(importDir)]);
  const database = overrides.database ? undefined : await createTestDatabase();
  const cleanUp = async () => {
    await database?.drop();
    await rm(root, { recursive: true, force: true });
  };

  try {
    const config: Config = {
      ...loadConfig({}),
      host: '127.0.0.1',
      port: 0,
      adminTokenFile: join(root, 'admin.pat'),
      exportDir,
      importDir,
      // bcrypt's minimum cost: hashing is not what these tests measure.
      passwordHash: { algorithm: 'bcrypt', cost: 4 },
      logLevel: 'error',
      secrets: { key: TEST_SECRETS_KEY, oldKeys: [], keyFile: join(root, 'secrets.key') },
      ...(database ? { database: database.config } : {}),
      ...overrides,
    };
    const app = await createApp(config, options);
    let token = app.bootstrapToken;
    try {
      token ??= (await readFile(config.adminTokenFile, 'utf8')).trim();
    } catch (e) {
      await app.close();
      throw new Error(`restarted app has no admin token: ${config.adminTokenFile} is unreadable`, { cause: e });
    }
    return {
      url: app.url,
      port: app.port,
      token,
      bootstrapToken: app.bootstrapToken,
      config,
      exportDir: config.exportDir,
      importDir: config.importDir,
      shutdown: () => app.shutdown(),
      async close() {
        try {
          await app.close();
        } finally {
          await cleanUp();
        }
      },
    };
  } catch (e) {
    await cleanUp();
    throw e;
  }
}

/** A clock tests move by hand (e.g. past a token's expiry); starts at real time. */
export function createTestClock(): Clock & { advance(ms: number): void; reset(): void } {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance: (ms) => {
      offset += ms;
    },
    reset: () => {
      offset = 0;
    },
  };
}
