/**
 * `npm run bench [-- --users 1000000 --orgs 10 --projects 10 --quick --pglite-users 50000
 *  --skip-pglite --skip-postgres --skip-s3]`
 *
 * Measures, in ONE run and on the same generated rows: (a) raw COPY into idport's tables
 * (the physical reference), (b) idport import from a local file, (c) idport export to a local
 * file, (d) COPY TO + JSON encoding of the same rows (the export reference), on PostgreSQL
 * (DATABASE_URL, default the local test server), (b) and (c) again through S3 (s3-leg.ts, the
 * S3 emulator process); then (b) and (c) on embedded PGlite. Prints
 * rows/s, the ratios import/COPY and export/reference, the server process's peak RSS, and
 * writes the figures to bench/results/. Absolute numbers vary with the machine; the ratios,
 * measured side by side, are what to compare.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { EXPORT_ORDER, ORG_KIND } from '../../src/domain/resources/kinds.js';
import { openDatabase } from '../../src/persistence/orm.js';
import { RESOURCE_TABLES } from '../../src/persistence/resources/resource-tables.js';
import { copyBatches } from './copy-rows.js';
import { createDataset, type Dataset } from './dataset.js';
import { s3Leg } from './s3-leg.js';
import { postJson, startServer } from './server-process.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string' },
    orgs: { type: 'string', default: '10' },
    projects: { type: 'string', default: '10' },
    quick: { type: 'boolean', default: false },
    'pglite-users': { type: 'string' },
    'skip-pglite': { type: 'boolean', default: false },
    'skip-postgres': { type: 'boolean', default: false },
    'skip-s3': { type: 'boolean', default: false },
  },
});
const users = Number(args.users ?? (args.quick ? 50_000 : 1_000_000));
const orgs = Number(args.orgs);
const baseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const work = await mkdtemp(join(tmpdir(), 'idport-bench-'));
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const rate = (rows: number, ms: number) => Math.round((rows / ms) * 1000);

function log(line: string) {
  process.stdout.write(`${line}\n`);
}

async function writeExportFile(dataset: Dataset, path: string) {
  const out = createWriteStream(path);
  out.write('{"orgs":[');
  let first = true;
  for (const org of dataset.orgs()) {
    if (!out.write(`${first ? '' : ','}${JSON.stringify(org)}`)) await once(out, 'drain');
    first = false;
  }
  out.end(']}');
  await once(out, 'finish');
}

async function scratchDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(name: string) {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}

/** (a) raw COPY of the rows idport would store, table by table, org by org. */
async function copyReference(dataset: Dataset, url: string): Promise<number> {
  const db = await openDatabase({ kind: 'postgres', url }); // schema via the committed migrations
  await db.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = performance.now();
  for (const org of dataset.orgs()) {
    for (const batch of copyBatches(org as never)) {
      const stream = client.query(copyStreams.from(`copy ${batch.table} (${batch.columns.map((c) => `"${c}"`).join(', ')}) from stdin`));
      await pipeline(Readable.from(batch.lines.map((l) => `${l}\n`)), stream);
    }
  }
  const ms = performance.now() - started;
  await client.end();
  return ms;
}

/** (d) COPY TO of the same rows plus JSON encoding, written to a file: the export's floor. */
async function exportReference(url: string, path: string): Promise<{ ms: number; rows: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const out = createWriteStream(path);
  const started = performance.now();
  let rows = 0;
  const orgIds = (await client.query<{ id: string }>('select id from org order by id')).rows.map((r) => r.id);
  for (const orgId of orgIds) {
    for (const kind of [ORG_KIND, ...EXPORT_ORDER]) {
      const t = RESOURCE_TABLES[kind.type];
      if (!t) continue;
      const where = Object.entries(t.where)
        .map(([c, v]) => ` and t.${c} = '${v}'`)
        .join('');
      const secret = kind.type === 'human_user';
      const sql = `copy (select t.payload${secret ? ', s.password_hash' : ''} from ${t.table} t ${secret ? 'left join user_secret s on s.user_id = t.id' : ''} where t.${t.orgColumn} = '${orgId}'${where} order by ${t.key.map((k) => `t.${k}`).join(', ')}) to stdout`;
      const stream = client.query(copyStreams.to(sql));
      let rest = '';
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        const encoded: string[] = [];
        for (const line of lines) {
          const [payload, hash] = line.split('\t');
          const item = JSON.parse((payload as string).replace(/\\\\/g, '\\'));
          if (hash && hash !== '\\N') item.user.hashedPassword = { value: hash };
          encoded.push(JSON.stringify(item));
          rows++;
        }
        if (!out.write(`${encoded.join(',')}\n`)) await once(out, 'drain');
      }
      if (secret) rows += 0;
    }
  }
  out.end();
  await once(out, 'finish');
  const ms = performance.now() - started;
  await client.end();
  return { ms, rows };
}

async function idportRun(label: string, env: Record<string, string>, dataset: Dataset, file: string) {
  const home = await mkdtemp(join(work, `${label}-`));
  const importDir = join(home, 'imports');
  const exportDir = join(home, 'exports');
  await mkdir(importDir, { recursive: true });
  await writeExportFile(dataset, join(importDir, 'bench.json'));
  const dirs = { IDPORT_IMPORT_DIR: importDir, IDPORT_EXPORT_DIR: exportDir, ...env };

  const importer = await startServer(dirs, home);
  let started = performance.now();
  const imported = await postJson(`${importer.url}/admin/v1/import`, importer.token, {
    timeout: '6h',
    data_orgs_local: { path: 'bench.json' },
  });
  const importMs = performance.now() - started;
  const importRss = await importer.peakRss();
  await importer.stop();
  const errors = (imported.json.errors as unknown[] | undefined)?.length ?? 0;
  if (imported.status !== 200 || errors > 0) {
    throw new Error(`${label} import failed: HTTP ${imported.status}, ${errors} errors: ${JSON.stringify(imported.json).slice(0, 500)}`);
  }

  const exporter = await startServer(dirs, home);
  started = performance.now();
  const exported = await postJson(`${exporter.url}/admin/v1/export`, exporter.token, {
    timeout: '6h',
    with_passwords: true,
    with_otp: true,
    local_output: { path: 'bench-export.json' },
  });
  const exportMs = performance.now() - started;
  const exportRss = await exporter.peakRss();
  await exporter.stop();
  if (exported.status !== 200) throw new Error(`${label} export failed: HTTP ${exported.status}`);
  const fileBytes = (await stat(join(exportDir, 'bench-export.json'))).size;
  await rm(join(importDir, 'bench.json'));
  void file;
  return { importMs, importRss, exportMs, exportRss, fileBytes };
}

const results: Record<string, unknown> = { date: new Date().toISOString(), users, orgs, node: process.version };

if (!args['skip-postgres']) {
  const dataset = createDataset({ orgs, usersPerOrg: Math.ceil(users / orgs), projectsPerOrg: Number(args.projects) });
  const rows = dataset.totalRows;
  log(`PostgreSQL: ${users} users in ${orgs} orgs = ${rows} rows`);
  const copyUrl = await scratchDatabase('idport_bench_copy');
  const copyMs = await copyReference(dataset, copyUrl);
  log(`  (a) raw COPY            ${rate(rows, copyMs).toLocaleString()} rows/s (${Math.round(copyMs)} ms)`);
  const reference = await exportReference(copyUrl, join(work, 'reference.jsonl'));
  await dropDatabase('idport_bench_copy');
  const importUrl = await scratchDatabase('idport_bench_import');
  const run = await idportRun('postgres', { DATABASE_URL: importUrl }, dataset, 'bench.json');
  await dropDatabase('idport_bench_import');
  const figures = {
    rows,
    copyRowsPerSec: rate(rows, copyMs),
    importRowsPerSec: rate(rows, run.importMs),
    exportRowsPerSec: rate(rows, run.exportMs),
    exportReferenceRowsPerSec: rate(reference.rows, reference.ms),
    importOverCopy: Number((copyMs / run.importMs).toFixed(3)),
    exportOverReference: Number((reference.ms / run.exportMs).toFixed(3)),
    importPeakRssMb: mb(run.importRss),
    exportPeakRssMb: mb(run.exportRss),
    exportFileMb: mb(run.fileBytes),
  };
  log(
    `  (b) idport import       ${figures.importRowsPerSec.toLocaleString()} rows/s  = ${figures.importOverCopy} × COPY   (server peak RSS ${figures.importPeakRssMb} MB)`,
  );
  log(
    `  (c) idport export       ${figures.exportRowsPerSec.toLocaleString()} rows/s  = ${figures.exportOverReference} × reference (server peak RSS ${figures.exportPeakRssMb} MB, file ${figures.exportFileMb} MB)`,
  );
  log(`  (d) COPY TO + JSON      ${figures.exportReferenceRowsPerSec.toLocaleString()} rows/s`);
  results.postgres = figures;

  if (!args['skip-s3']) {
    const file = join(work, 's3-bench.json');
    await writeExportFile(dataset, file);
    const s3Url = await scratchDatabase('idport_bench_s3');
    const s3 = await s3Leg('postgres', { DATABASE_URL: s3Url }, work, file);
    await dropDatabase('idport_bench_s3');
    await rm(file);
    const s3Figures = {
      importRowsPerSec: rate(rows, s3.importMs),
      exportRowsPerSec: rate(rows, s3.exportMs),
      importPeakRssMb: mb(s3.importRss),
      exportPeakRssMb: mb(s3.exportRss),
      exportObjectMb: mb(s3.objectBytes),
    };
    log(
      `  (b) import from S3      ${s3Figures.importRowsPerSec.toLocaleString()} rows/s (server peak RSS ${s3Figures.importPeakRssMb} MB)`,
    );
    log(
      `  (c) export to S3        ${s3Figures.exportRowsPerSec.toLocaleString()} rows/s (server peak RSS ${s3Figures.exportPeakRssMb} MB, object ${s3Figures.exportObjectMb} MB)`,
    );
    results.postgresS3 = s3Figures;
  }
}

if (!args['skip-pglite']) {
  const pgliteUsers = Number(args['pglite-users'] ?? Math.min(users, 50_000));
  const dataset = createDataset({ orgs, usersPerOrg: Math.ceil(pgliteUsers / orgs), projectsPerOrg: Number(args.projects) });
  const rows = dataset.totalRows;
  log(`PGlite (embedded): ${pgliteUsers} users in ${orgs} orgs = ${rows} rows (no COPY reference: PGlite has no COPY FROM STDIN)`);
  const dataDir = await mkdtemp(join(work, 'pglite-data-'));
  const run = await idportRun('pglite', { IDPORT_DATA_DIR: dataDir }, dataset, 'bench.json');
  const figures = {
    users: pgliteUsers,
    rows,
    importRowsPerSec: rate(rows, run.importMs),
    exportRowsPerSec: rate(rows, run.exportMs),
    importPeakRssMb: mb(run.importRss),
    exportPeakRssMb: mb(run.exportRss),
  };
  log(`  (b) idport import       ${figures.importRowsPerSec.toLocaleString()} rows/s (server peak RSS ${figures.importPeakRssMb} MB)`);
  log(`  (c) idport export       ${figures.exportRowsPerSec.toLocaleString()} rows/s (server peak RSS ${figures.exportPeakRssMb} MB)`);
  results.pglite = figures;
}

const resultsDir = new URL('../../bench/results/', import.meta.url).pathname;
await mkdir(resultsDir, { recursive: true });
const file = join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${users}.json`);
await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
log(`results written to ${file}`);
await rm(work, { recursive: true, force: true });
