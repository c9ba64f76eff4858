/**
 * The PostgreSQL half of the bench: the COPY references, then idport's cases, each in a fresh
 * database of this run (scratch-db.ts) and each recorded even when it fails (results.ts).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openDatabase } from '../../src/persistence/orm.js';
import { copyWithPsql, copyWithStreams, countRows } from './copy-reference.js';
import { createDataset } from './dataset.js';
import { exportReference } from './export-reference.js';
import { type CopyFile, writeCopyFiles, writeImportFile } from './files.js';
import { gcsImport } from './gcs-leg.js';
import { exportTo, importFrom, importJob } from './idport-steps.js';
import { fasterCopy, figures, mb, runCase } from './results.js';
import { s3Leg } from './s3-leg.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-db.js';

export interface PostgresOptions {
  serverUrl: string;
  runId: string;
  work: string;
  users: number;
  orgs: number;
  projects: number;
  plaintextUsers: number;
  singleOrgUsers: number;
  skipS3: boolean;
  skipGcs: boolean;
  /** Only the import the export needs, the export and its reference (for working on the export). */
  exportOnly: boolean;
  /** Only the COPY references and the import (for working on the import). */
  importOnly: boolean;
  log: (line: string) => void;
  warnings: string[];
}

const line = (label: string, f: { rowsPerSec: number; ms: number; ratio?: number | null; ratioAgainst?: string; peakRssMb?: number }) =>
  `  ${label.padEnd(30)} ${f.rowsPerSec.toLocaleString().padStart(9)} rows/s (${f.ms} ms)` +
  `${f.ratio === undefined ? '' : `  = ${f.ratio} × ${f.ratioAgainst}`}${f.peakRssMb === undefined ? '' : `  peak RSS ${f.peakRssMb} MB`}`;

export async function postgresCases(o: PostgresOptions): Promise<Record<string, unknown>> {
  const { log } = o;
  const dataset = createDataset({ orgs: o.orgs, usersPerOrg: Math.ceil(o.users / o.orgs), projectsPerOrg: o.projects });
  log(`PostgreSQL: ${o.users} users in ${o.orgs} orgs = ${dataset.resources} resources (${dataset.tableRows} table rows)`);
  const importDir = join(o.work, 'imports');
  await mkdir(importDir, { recursive: true });
  await writeImportFile(dataset, join(importDir, 'bench.json'));

  /** A case in a database of its own, dropped afterwards (a failed drop becomes a warning). */
  async function inDatabase<T>(label: string, work: (db: ScratchDatabase) => Promise<T>): Promise<T> {
    const db = await createScratchDatabase(o.serverUrl, o.runId, label);
    try {
      return await work(db);
    } finally {
      const warning = await db.drop();
      if (warning) o.warnings.push(warning);
    }
  }
  const serverEnv = (db: ScratchDatabase, home: string) => ({
    DATABASE_URL: db.url,
    IDPORT_IMPORT_DIR: importDir,
    IDPORT_EXPORT_DIR: join(home, 'exports'),
  });
  const newHome = async (label: string) => {
    const home = await mkdtemp(join(o.work, `${label}-`));
    await mkdir(join(home, 'exports'));
    return home;
  };

  // (a) COPY of prebuilt rows, two ways.
  const copyDir = await mkdtemp(join(o.work, 'copy-'));
  const copyFiles = await writeCopyFiles(dataset, copyDir);
  const expectedRows = copyFiles.reduce((n, f) => n + f.rows, 0);
  const copyCase = (label: string, load: (url: string, files: CopyFile[]) => Promise<number>) =>
    runCase(
      `COPY (${label})`,
      () =>
        inDatabase(`copy_${label.replace(/\W/g, '_')}`, async (db) => {
          await (await openDatabase({ kind: 'postgres', url: db.url })).close(); // schema via the migrations
          const ms = await load(db.url, copyFiles);
          const stored = await countRows(db.url, copyFiles);
          if (stored < expectedRows) throw new Error(`COPY stored ${stored} of ${expectedRows} table rows`);
          return { ...figures({ ms, rows: dataset.resources }), tableRows: expectedRows };
        }),
      { log },
    );
  const skipped = { ok: false, skipped: '--export-only' } as const;
  const streams = o.exportOnly ? skipped : await copyCase('pg-copy-streams', copyWithStreams);
  if (streams.ok) log(line('(a) COPY, pg-copy-streams 1 MiB', streams));
  const psql = o.exportOnly ? skipped : await copyCase('psql', (url, files) => copyWithPsql(url, files, copyDir));
  if (psql.ok) log(line('(a) COPY, psql \\copy', psql));
  await rm(copyDir, { recursive: true, force: true });
  const fastest = fasterCopy({ 'pg-copy-streams': streams.ok ? streams.ms : undefined, psql: psql.ok ? psql.ms : undefined });
  const copyRef = fastest && { name: `COPY (${fastest.by})`, ms: fastest.ms, rows: dataset.resources };
  if (copyRef) log(`  import ratios are against the faster COPY: ${copyRef.name}`);

  // (b) import, (c) export, (d) export reference, (e) the same file again: all UNCHANGED.
  const main = await inDatabase('main', async (db) => {
    const home = await newHome('main');
    const env = serverEnv(db, home);
    const local = { data_orgs_local: { path: 'bench.json' } };
    const imported = await runCase(
      'import',
      async () => figures({ ...(await importFrom(env, home, local)), rows: dataset.resources }, copyRef),
      { log },
    );
    if (!imported.ok) return { import: imported };
    log(line('(b) import from a file', imported));
    if (o.importOnly) return { import: imported };
    const exported = await runCase('export', () => exportTo(env, home, { local_output: { path: 'bench-export.json' } }), { log });
    const reference = await runCase('export reference', () => exportReference(db.url, join(o.work, 'reference.json')), { log });
    if (reference.ok) log(line('(d) COPY TO + export JSON', figures({ ms: reference.ms, rows: reference.resources })));
    const exportRows = reference.ok ? reference.resources : dataset.resources;
    const refStep = reference.ok ? { name: 'export reference', ms: reference.ms, rows: exportRows } : undefined;
    const exportFigures = exported.ok
      ? { ok: true, ...figures({ ...exported, rows: exportRows }, refStep), load: exported.load }
      : exported;
    if (exportFigures.ok) log(line('(c) export to a file', exportFigures));
    await rm(join(home, 'exports', 'bench-export.json'), { force: true });
    await rm(join(o.work, 'reference.json'), { force: true });
    if (o.exportOnly) return { import: imported, export: exportFigures, exportReference: reference };
    const again = await runCase(
      're-import (unchanged)',
      async () => figures({ ...(await importFrom(env, home, local)), rows: dataset.resources }, copyRef),
      { log },
    );
    if (again.ok) log(line('(e) re-import, all UNCHANGED', again));
    const exportReferenceFigures = reference.ok
      ? { ok: true, ...figures({ ms: reference.ms, rows: reference.resources }), fileMb: mb(reference.bytes), load: reference.load }
      : reference;
    return {
      import: imported,
      export: exportFigures,
      exportReference: exportReferenceFigures,
      reimportUnchanged: again,
      // The server's first start creates its own org and admin: they are in every export file.
      bootstrapResources: reference.ok ? reference.resources - dataset.resources : 0,
    };
  });
  const bootstrap = 'bootstrapResources' in main ? main.bootstrapResources : 0;
  if (o.exportOnly) return { dataset: { users: o.users, orgs: o.orgs, resources: dataset.resources }, ...main };
  if (o.importOnly)
    return {
      dataset: { users: o.users, orgs: o.orgs, resources: dataset.resources },
      copy: { pgCopyStreams: streams, psql, reference: copyRef?.name ?? null },
      ...main,
    };

  // (g) The same file as a migration job, in a database of its own: against the direct import
  // (issue 11: a job costs at most 10% of its rate), `overheadPct` = job time / direct time - 1.
  const direct = main.import.ok ? { name: 'direct import', ms: main.import.ms, rows: dataset.resources } : undefined;
  const job = await runCase(
    'import job',
    () =>
      inDatabase('job', async (db) => {
        const home = await newHome('job');
        const step = await importJob(serverEnv(db, home), home, { data_orgs_local: { path: 'bench.json' } }, dataset.resources);
        const overheadPct = direct ? Math.round((step.ms / direct.ms - 1) * 1000) / 10 : null;
        // Memory beside time: the job's server against the direct import's, both measured alone
        // in this run (a job's report rows and audit events go to the database pass by pass).
        const directPeakRssMb = main.import.ok ? main.import.peakRssMb : undefined;
        const jobFigures = figures({ ...step, rows: dataset.resources }, direct);
        const peakRssRatio =
          directPeakRssMb && jobFigures.peakRssMb !== undefined ? Math.round((jobFigures.peakRssMb / directPeakRssMb) * 100) / 100 : null;
        return { ...jobFigures, wallMs: step.wallMs, overheadPct, directPeakRssMb: directPeakRssMb ?? null, peakRssRatio };
      }),
    { log },
  );
  if (job.ok) log(`${line('(g) import as a job', job)}  overhead ${job.overheadPct}%  peak RSS ${job.peakRssRatio} × direct`);

  const file = join(importDir, 'bench.json');
  const gcs = o.skipGcs
    ? undefined
    : await runCase(
        'import from GCS',
        () =>
          inDatabase('gcs', async (db) =>
            figures({ ...(await gcsImport({ DATABASE_URL: db.url }, o.work, file)), rows: dataset.resources }, copyRef),
          ),
        { log },
      );
  if (gcs?.ok) log(line('(b) import from GCS', gcs));
  const s3 = o.skipS3
    ? undefined
    : await runCase(
        'S3 import and export',
        () =>
          inDatabase('s3', async (db) => {
            const r = await s3Leg('postgres', { DATABASE_URL: db.url }, o.work, file);
            return {
              import: figures({ ms: r.importMs, rows: dataset.resources, peakRssBytes: r.importRss }, copyRef),
              export: figures({ ms: r.exportMs, rows: dataset.resources + bootstrap, peakRssBytes: r.exportRss }),
              objectMb: mb(r.objectBytes),
            };
          }),
        { log },
      );
  if (s3?.ok) log(`${line('(b) import from S3', s3.import)}\n${line('(c) export to S3', s3.export)}`);
  await rm(file);

  const plaintext = await runCase('plaintext passwords', () => plaintextCase(o, inDatabase, serverEnv, newHome, importDir), { log });
  if (plaintext.ok)
    log(
      `  (f) plaintext passwords          ${plaintext.usersPerSec.toLocaleString()} users/s (${plaintext.humans} hashed, ${plaintext.ms} ms)`,
    );
  const single = await singleOrgCase(o, copyRef, bootstrap, inDatabase, serverEnv, newHome, importDir);

  return {
    dataset: { users: o.users, orgs: o.orgs, resources: dataset.resources, tableRows: dataset.tableRows },
    bootstrapResources: bootstrap,
    copy: { pgCopyStreams: streams, psql, reference: copyRef?.name ?? null },
    ...main,
    importJob: job,
    ...(gcs ? { gcsImport: gcs } : {}),
    ...(s3 ? { s3 } : {}),
    plaintextPasswords: plaintext,
    singleOrg: single,
  };
}

type InDatabase = <T>(label: string, work: (db: ScratchDatabase) => Promise<T>) => Promise<T>;
type ServerEnv = (db: ScratchDatabase, home: string) => Record<string, string>;
type NewHome = (label: string) => Promise<string>;

/** Users whose plaintext passwords the import hashes (bcrypt, the server's default cost). */
async function plaintextCase(o: PostgresOptions, inDatabase: InDatabase, serverEnv: ServerEnv, newHome: NewHome, importDir: string) {
  const dataset = createDataset({ orgs: 1, usersPerOrg: o.plaintextUsers, projectsPerOrg: 1, plaintextPasswords: true });
  const humans = dataset.rowsPerOrg.user_secret as number;
  await writeImportFile(dataset, join(importDir, 'plaintext.json'));
  try {
    return await inDatabase('plain', async (db) => {
      const home = await newHome('plain');
      const step = await importFrom(serverEnv(db, home), home, { data_orgs_local: { path: 'plaintext.json' } });
      return {
        ...figures({ ...step, rows: dataset.resources }),
        humans,
        usersPerSec: Math.round((humans / step.ms) * 1000),
        hash: 'bcrypt, cost 10 (server default)',
      };
    });
  } finally {
    await rm(join(importDir, 'plaintext.json'), { force: true });
  }
}

/** One org holding every user: import from a file, then export it. */
async function singleOrgCase(
  o: PostgresOptions,
  copyRef: { name: string; ms: number; rows: number } | undefined,
  bootstrap: number,
  inDatabase: InDatabase,
  serverEnv: ServerEnv,
  newHome: NewHome,
  importDir: string,
) {
  const { log } = o;
  const dataset = createDataset({ orgs: 1, usersPerOrg: o.singleOrgUsers, projectsPerOrg: o.projects });
  log(`PostgreSQL, one org: ${o.singleOrgUsers} users = ${dataset.resources} resources`);
  await writeImportFile(dataset, join(importDir, 'single.json'));
  // Its COPY reference is the multi-org one's rate: a rate ratio, as results.ts `ratio` forms it.
  const ref = copyRef && { ...copyRef, name: `${copyRef.name}, ${o.orgs}-org rate` };
  try {
    return await inDatabase('single', async (db) => {
      const home = await newHome('single');
      const env = serverEnv(db, home);
      const imported = await runCase(
        'one-org import',
        async () =>
          figures({ ...(await importFrom(env, home, { data_orgs_local: { path: 'single.json' } })), rows: dataset.resources }, ref),
        { log },
      );
      if (imported.ok) log(line('(b) one-org import', imported));
      if (!imported.ok) return { import: imported };
      const exported = await runCase(
        'one-org export',
        async () =>
          figures({
            ...(await exportTo(env, home, { local_output: { path: 'single-export.json' } })),
            rows: dataset.resources + bootstrap,
          }),
        { log },
      );
      if (exported.ok) log(line('(c) one-org export', exported));
      return { import: imported, export: exported };
    });
  } finally {
    await rm(join(importDir, 'single.json'), { force: true });
  }
}
