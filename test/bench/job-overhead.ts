/**
 * A job's overhead over the direct import alone (issue 11: at most 10%), for working on it: the
 * bench's case (g) runs once, minutes away from the import it is compared with, so on a shared
 * 2-core machine one pair can be off by ±15 points. This alternates the two, each in a fresh
 * database (scratch-db.ts) with a fresh server, for --rounds pairs, and prints each pair's
 * overhead and the median, with the load average beside them.
 * Usage: DATABASE_URL=postgresql://… npx tsx test/bench/job-overhead.ts [--users 200000] [--rounds 3]
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDataset } from './dataset.js';
import { writeImportFile } from './files.js';
import { importFrom, importJob } from './idport-steps.js';
import { currentLoad } from './results.js';
import { createScratchDatabase, newRunId } from './scratch-db.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '200000' },
    orgs: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
  },
});
const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) throw new Error('DATABASE_URL must name a PostgreSQL server (each case gets a database of its own)');
const orgs = Number(args.orgs);
const dataset = createDataset({ orgs, usersPerOrg: Math.ceil(Number(args.users) / orgs), projectsPerOrg: 10 });
const work = await mkdtemp(join(tmpdir(), 'idport-job-overhead-'));
const imports = join(work, 'imports');
await mkdir(imports);
await writeImportFile(dataset, join(imports, 'bench.json'));
const runId = newRunId();
const source = { data_orgs_local: { path: 'bench.json' } };

/** One case in a fresh database and home, the database dropped afterwards. */
async function inFreshDatabase<T>(label: string, run: (env: Record<string, string>, home: string) => Promise<T>): Promise<T> {
  const db = await createScratchDatabase(serverUrl as string, runId, label);
  const home = await mkdtemp(join(work, `${label}-`));
  try {
    return await run({ DATABASE_URL: db.url, IDPORT_IMPORT_DIR: imports, IDPORT_EXPORT_DIR: home }, home);
  } finally {
    await db.drop();
  }
}

const overheads: number[] = [];
try {
  for (let round = 1; round <= Number(args.rounds); round++) {
    const load = currentLoad();
    const direct = await inFreshDatabase(`direct${round}`, (env, home) => importFrom(env, home, source));
    const job = await inFreshDatabase(`job${round}`, (env, home) => importJob(env, home, source, dataset.resources));
    const pct = Math.round((job.ms / direct.ms - 1) * 1000) / 10;
    overheads.push(pct);
    const rss = (b: number) => Math.round(b / 1024 / 1024);
    console.log(
      `round ${round}: direct ${Math.round(direct.ms)} ms (${rss(direct.peakRssBytes)} MB), job ${job.ms} ms (${rss(job.peakRssBytes)} MB), ` +
        `overhead ${pct}%, load ${load.join(' ')} → ${currentLoad().join(' ')}`,
    );
  }
  const sorted = [...overheads].sort((a, b) => a - b);
  console.log(`${dataset.resources} resources: median overhead ${sorted[Math.floor(sorted.length / 2)]}% of ${overheads.join(', ')}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
