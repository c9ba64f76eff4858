/**
 * The import's physical floor: the rows idport stores, prebuilt as COPY text files before the
 * timer starts (files.ts), loaded table by table two ways, each into its own fresh database:
 * - through pg-copy-streams (the driver the repo uses), read and sent in 1 MiB chunks;
 * - by `psql \copy` of the same files, the tool an operator would reach for.
 * The import ratio is taken against the faster of the two (results.ts `fasterCopy`).
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { CopyFile } from './files.js';

const CHUNK = 1024 * 1024;
const columnList = (f: CopyFile) => f.columns.map((c) => `"${c}"`).join(', ');

/** COPY FROM STDIN of every file over one connection, 1 MiB per message. */
export async function copyWithStreams(url: string, files: readonly CopyFile[]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const started = performance.now();
    for (const f of files) {
      const sink = client.query(copyStreams.from(`copy "${f.table}" (${columnList(f)}) from stdin`));
      await pipeline(createReadStream(f.path, { highWaterMark: CHUNK }), sink);
    }
    return performance.now() - started;
  } finally {
    await client.end();
  }
}

/** `psql -f` of one `\copy` per file; the time includes psql's start, as an operator's would. */
export async function copyWithPsql(url: string, files: readonly CopyFile[], dir: string): Promise<number> {
  const script = join(dir, 'copy.psql');
  // \copy takes the rest of the line verbatim; the generated paths hold no quotes.
  await writeFile(script, files.map((f) => `\\copy "${f.table}" (${columnList(f)}) from '${f.path}'\n`).join(''));
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr = (stderr + s).slice(-2000);
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited with ${code}: ${stderr}`))));
  });
  return performance.now() - started;
}

/** Rows in the tables the files filled: proof that both loads wrote everything. */
export async function countRows(url: string, files: readonly CopyFile[]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    let total = 0;
    for (const table of new Set(files.map((f) => f.table))) {
      total += Number((await client.query<{ n: string }>(`select count(*) as n from "${table}"`)).rows[0]?.n ?? 0);
    }
    return total;
  } finally {
    await client.end();
  }
}
