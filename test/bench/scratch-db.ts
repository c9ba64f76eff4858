/**
 * Databases of one bench run on the server DATABASE_URL names. Each run has its own random id,
 * so two runs (or a run and the test suite) never share a name, and a drop never uses FORCE:
 * it waits for this run's own connections to end and leaves other sessions alone.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

export interface ScratchDatabase {
  name: string;
  url: string;
  /** Drops the database; resolves to a warning instead of throwing when it stays in use. */
  drop(): Promise<string | undefined>;
}

/** SQLSTATE 55006 object_in_use: "database … is being accessed by other users". */
const IN_USE = '55006';
const DROP_PATIENCE_MS = 30_000;

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `idport_bench_<run>_<label>`: unquoted, lower case, within PostgreSQL's 63 bytes. */
export function scratchName(runId: string, label: string): string {
  const name = `idport_bench_${runId}_${label}`.toLowerCase();
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  return name;
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

export async function createScratchDatabase(serverUrl: string, runId: string, label: string): Promise<ScratchDatabase> {
  const name = scratchName(runId, label);
  await onServer(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return undefined;
      const deadline = Date.now() + DROP_PATIENCE_MS;
      for (;;) {
        try {
          await onServer(serverUrl, `drop database if exists ${name}`);
          dropped = true;
          return undefined;
        } catch (e) {
          // A server process this run stopped may still be closing its pool.
          if ((e as { code?: string }).code !== IN_USE || Date.now() > deadline) {
            return `database ${name} was not dropped: ${(e as Error).message}`;
          }
          await sleep(500);
        }
      }
    },
  };
}
