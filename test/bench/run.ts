/**
 * `npm run bench [-- --users 1000000 --orgs 10 --projects 10 --quick --pglite-users 50000
 *  --plaintext-users 2000 --single-org-users 1000000 --skip-pglite --skip-postgres --skip-s3 --skip-gcs
 *  --export-only --import-only]`
 *
 * Measures idport beside references on the same generated rows, in ONE run, and writes every
 * figure with the machine's load and the commit to bench/results/ (README "Benchmarks"):
 * - PostgreSQL (the server DATABASE_URL names; every database is this run's own): COPY of
 *   prebuilt rows (pg-copy-streams and psql), import from a file, export to a file, the export
 *   reference, a re-import of the same file, the same import as a migration job (its overhead),
 *   import from GCS and S3, plaintext passwords, and
 *   one org holding all users (postgres-cases.ts);
 * - embedded PGlite: import and export (it has no COPY FROM STDIN, so no reference).
 * A case that fails is recorded with its error and the run goes on. Absolute numbers vary with
 * the machine; the ratios, measured side by side with the load beside them, are what to compare.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDataset } from './dataset.js';
import { environment } from './environment.js';
import { writeImportFile } from './files.js';
import { exportTo, importFrom } from './idport-steps.js';
import { postgresCases } from './postgres-cases.js';
import { currentLoad, figures, ROWS_DEFINITION, resultFileName, runCase } from './results.js';
import { newRunId } from './scratch-db.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string' },
    orgs: { type: 'string', default: '10' },
    projects: { type: 'string', default: '10' },
    quick: { type: 'boolean', default: false },
    'pglite-users': { type: 'string' },
    'plaintext-users': { type: 'string' },
    'single-org-users': { type: 'string' },
    'skip-pglite': { type: 'boolean', default: false },
    'skip-postgres': { type: 'boolean', default: false },
    'skip-s3': { type: 'boolean', default: false },
    'skip-gcs': { type: 'boolean', default: false },
    // Only the import the export needs, the export and its reference (PostgreSQL).
    'export-only': { type: 'boolean', default: false },
    // Only the COPY references and the import from a file (PostgreSQL).
    'import-only': { type: 'boolean', default: false },
  },
});
const quick = args.quick ?? false;
const users = Number(args.users ?? (quick ? 50_000 : 1_000_000));
const options = {
  users,
  orgs: Number(args.orgs),
  projects: Number(args.projects),
  quick,
  pgliteUsers: Number(args['pglite-users'] ?? Math.min(users, 50_000)),
  // bcrypt at the server's cost takes tens of ms per password: a small count says enough.
  plaintextUsers: Number(args['plaintext-users'] ?? (quick ? 200 : 2_000)),
  singleOrgUsers: Number(args['single-org-users'] ?? users),
  skipPglite: args['skip-pglite'] ?? false,
  skipPostgres: args['skip-postgres'] ?? false,
  skipS3: args['skip-s3'] ?? false,
  skipGcs: args['skip-gcs'] ?? false,
  exportOnly: args['export-only'] ?? false,
  importOnly: args['import-only'] ?? false,
};
const serverUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const log = (line: string) => process.stdout.write(`${line}\n`);
const runId = newRunId();
const work = await mkdtemp(join(tmpdir(), `idport-bench-${runId}-`));
const warnings: string[] = [];
const started = new Date();
const loadStart = currentLoad();

const results: Record<string, unknown> = {
  schema: 2,
  date: started.toISOString(),
  runId,
  rows: ROWS_DEFINITION,
  options,
  environment: await environment(options.skipPostgres ? undefined : serverUrl),
  load: { start: loadStart },
};
log(`bench run ${runId}, load ${loadStart.join(' ')}`);

try {
  if (!options.skipPostgres) {
    results.postgres = await postgresCases({ ...options, serverUrl, runId, work, log, warnings });
  }
  if (!options.skipPglite) {
    // The export file also holds the server's own org and admin (counted on PostgreSQL).
    const bootstrap = Number((results.postgres as { bootstrapResources?: number } | undefined)?.bootstrapResources ?? 0);
    const dataset = createDataset({
      orgs: options.orgs,
      usersPerOrg: Math.ceil(options.pgliteUsers / options.orgs),
      projectsPerOrg: options.projects,
    });
    log(`PGlite (embedded): ${options.pgliteUsers} users in ${options.orgs} orgs = ${dataset.resources} resources`);
    const home = await mkdtemp(join(work, 'pglite-'));
    const env = { IDPORT_DATA_DIR: join(home, 'data'), IDPORT_IMPORT_DIR: join(home, 'imports'), IDPORT_EXPORT_DIR: join(home, 'exports') };
    await mkdir(env.IDPORT_IMPORT_DIR, { recursive: true });
    await mkdir(env.IDPORT_EXPORT_DIR, { recursive: true });
    await writeImportFile(dataset, join(env.IDPORT_IMPORT_DIR, 'bench.json'));
    const imported = await runCase(
      'PGlite import',
      async () => figures({ ...(await importFrom(env, home, { data_orgs_local: { path: 'bench.json' } })), rows: dataset.resources }),
      { log },
    );
    if (imported.ok)
      log(`  (b) import  ${imported.rowsPerSec.toLocaleString()} rows/s (${imported.ms} ms, peak RSS ${imported.peakRssMb} MB)`);
    const exported = imported.ok
      ? await runCase(
          'PGlite export',
          async () =>
            figures({
              ...(await exportTo(env, home, { local_output: { path: 'bench-export.json' } })),
              rows: dataset.resources + bootstrap,
            }),
          { log },
        )
      : undefined;
    if (exported?.ok)
      log(`  (c) export  ${exported.rowsPerSec.toLocaleString()} rows/s (${exported.ms} ms, peak RSS ${exported.peakRssMb} MB)`);
    results.pglite = {
      dataset: { users: options.pgliteUsers, orgs: options.orgs, resources: dataset.resources },
      import: imported,
      ...(exported ? { export: exported } : {}),
    };
  }
} finally {
  results.load = { start: loadStart, end: currentLoad() };
  results.warnings = warnings;
  const resultsDir = new URL('../../bench/results/', import.meta.url).pathname;
  await mkdir(resultsDir, { recursive: true });
  const file = join(resultsDir, resultFileName(started, users, quick));
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`load ${currentLoad().join(' ')}; results written to ${file}`);
  for (const w of warnings) log(`warning: ${w}`);
  await rm(work, { recursive: true, force: true });
}
