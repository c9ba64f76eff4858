import type { BlobStorage, ImportFileCodec, ImportReportSink, PasswordHasher, ResourceTransactions } from '../ports.js';
import type { ConflictPolicy } from './decide.js';
import type { ImportReport } from './import-report.js';
import { ImportRun } from './import-run.js';
import type { ImportSource } from './import-source.js';
import { createReportCollector } from './report-collector.js';

export type { DecodedOrg } from '../ports.js';
export type { ConflictPolicy } from './decide.js';
export type { ImportSource } from './import-source.js';

export interface ImportCommand {
  /** DataOrg items in the zitadel.admin.v1 JSON shape (v1 input is normalised before), or a file to read them from. */
  source: ImportSource;
  conflictPolicy: ConflictPolicy;
  /** Report what would happen, write nothing. */
  dryRun: boolean;
  signal: AbortSignal;
}

export interface ImportDeps {
  tx: ResourceTransactions;
  blobs: BlobStorage;
  codec: ImportFileCodec;
  hasher: PasswordHasher;
}

/**
 * The import, reading top to bottom (import-run.ts): read the source's orgs (import-source.ts),
 * run each org's passes as the plan says (plan.ts), each pass an org session in its own
 * transaction (org-session.ts) that decides every resource (decide.ts) and writes in batches
 * (batch-write.ts). Outcomes go to `sink` as their transactions commit.
 */
export function createImportEngine(deps: ImportDeps) {
  return (cmd: ImportCommand, sink: ImportReportSink): Promise<void> => new ImportRun(deps, cmd, sink).run();
}

/** The import for the synchronous RPCs: the whole report comes back as the answer. */
export function createImporter(deps: ImportDeps) {
  const run = createImportEngine(deps);
  return async function importData(cmd: ImportCommand): Promise<ImportReport> {
    const collector = createReportCollector();
    await run(cmd, collector);
    return collector.report(cmd.dryRun);
  };
}
