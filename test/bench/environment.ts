/** What a result file records about the machine and the code it measured. */
import { execFile } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

async function git(args: string[]): Promise<string | undefined> {
  try {
    return (await run('git', args)).stdout.trim();
  } catch {
    return undefined;
  }
}

export interface Environment {
  commit: string | null;
  /** Uncommitted changes in the work tree: the figures are for the commit plus those. */
  dirty: boolean | null;
  node: string;
  cpus: number;
  cpuModel: string | null;
  memoryMb: number;
  postgres: string | null;
}

export async function environment(databaseUrl: string | undefined): Promise<Environment> {
  const commit = await git(['rev-parse', 'HEAD']);
  // Results of earlier runs (bench/results/, kept untracked until one is committed) are not code.
  const status = await git(['status', '--porcelain', '--', '.', ':(exclude)bench/results']);
  let postgres: string | null = null;
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    try {
      await client.connect();
      postgres = (await client.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v ?? null;
    } catch {
      postgres = null;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return {
    commit: commit ?? null,
    dirty: status === undefined ? null : status.length > 0,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    postgres,
  };
}
