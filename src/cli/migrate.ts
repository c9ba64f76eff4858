/**
 * Instance-to-instance migration between any two of idport and ZITADEL:
 *
 *   tsx src/cli/migrate.ts --from URL --from-token-file a.pat --to URL --to-token-file b.pat [options]
 *
 * Each side's kind is detected (server reflection, or UNIMPLEMENTED without it) unless
 * --from-kind / --to-kind say it. An idport source streams (StreamExport), a ZITADEL source is
 * read with ExportData one org per call (or through GCS); an idport target takes everything in
 * one StreamImport, a ZITADEL target gets ImportData calls of one org part each.
 *
 * Exit codes: 0 the import reported no failures, 1 some resources failed, 2 usage or call errors.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataOrg } from '../../gen/zitadel/admin_pb.js';
import { DEFAULT_MAX_MESSAGE_BYTES, parseCommandLine, USAGE } from './migrate/args.js';
import { detectKind } from './migrate/detect.js';
import type { GcsDetour } from './migrate/gcs-detour.js';
import { createIdportSource } from './migrate/idport-source.js';
import { createIdportTarget } from './migrate/idport-target.js';
import { createMigrateProgress } from './migrate/progress-view.js';
import { formatSummary, hasFailures, type MigrationReport } from './migrate/report.js';
import { type Endpoint, type Kind, MigrationError, type OrgSource, type OrgTarget, type Progress, UsageError } from './migrate/types.js';
import { createZitadelSource } from './migrate/zitadel-source.js';
import { createZitadelTarget } from './migrate/zitadel-target.js';

export { parseCommandLine } from './migrate/args.js';
export { createMigrateProgress, formatProgress } from './migrate/progress-view.js';
export { formatSummary, hasFailures, type MigrationReport } from './migrate/report.js';
export { type Endpoint, type Kind, MigrationError, type ProgressEvent, UsageError } from './migrate/types.js';

export interface MigrateOptions {
  source: Endpoint;
  target: Endpoint;
  /** Orgs to move (empty or absent: all of the source's orgs). */
  orgIds?: string[];
  excludedOrgIds?: string[];
  withPasswords: boolean;
  withOtp: boolean;
  /** idport targets only (ZITADEL's ImportData has neither). */
  conflictPolicy?: 'fail' | 'skip' | 'overwrite';
  dryRun?: boolean;
  /** Go duration (`"30m"`, `"1h"`), applied by the servers to each call. */
  timeout?: string;
  /** idport sources: most resources per streamed message (the source's default is 1000). */
  itemsPerMessage?: number;
  /** Largest message to or from a ZITADEL side (default 4 MiB, grpc-go's default limit). */
  maxMessageBytes?: number;
  /** ZITADEL sources: export through GCS (ZITADEL's gcs_output) instead of the response. */
  viaGcs?: GcsDetour;
  /** One event per org and step; the CLI prints the target's on stderr. */
  onProgress?: Progress;
  /** Aborting cancels the calls; an idport target rolls back the transaction it has open. */
  signal?: AbortSignal;
}

/**
 * ZITADEL's ExportData and ImportData need a timeout (ImportData fails on an empty one); this
 * one applies per call, i.e. per org or org part, when --timeout is not given.
 */
const ZITADEL_CALL_TIMEOUT = '30m';

function checkPair(options: MigrateOptions, source: Kind, target: Kind): void {
  if (options.viaGcs && source !== 'zitadel') {
    throw new UsageError(
      '--via-gcs is for a ZITADEL source (ExportData gcs_output); an idport source streams (or pass --from-kind zitadel)',
    );
  }
  if (target === 'zitadel' && (options.dryRun || (options.conflictPolicy ?? 'fail') !== 'fail')) {
    throw new UsageError('--dry-run and --conflict-policy are idport extensions: a ZITADEL target has neither');
  }
}

/**
 * Moves the source's orgs into the target and answers with one report for any pair of kinds.
 * Rejects with a MigrationError naming the side when a call fails, or a UsageError when the
 * options do not fit the sides' kinds.
 */
export async function migrate(options: MigrateOptions): Promise<MigrationReport> {
  options.signal?.throwIfAborted();
  const signal = options.signal ?? new AbortController().signal;
  const [sourceKind, targetKind] = await Promise.all([
    detectKind('source', options.source, signal),
    detectKind('target', options.target, signal),
  ]);
  checkPair(options, sourceKind, targetKind);
  const progress: Progress = options.onProgress ?? (() => {});
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const selection = {
    orgIds: options.orgIds ?? [],
    excludedOrgIds: options.excludedOrgIds ?? [],
    withPasswords: options.withPasswords,
    withOtp: options.withOtp,
    progress,
  };
  const source: OrgSource =
    sourceKind === 'idport'
      ? createIdportSource(options.source, { ...selection, timeout: options.timeout ?? '', itemsPerMessage: options.itemsPerMessage ?? 0 })
      : createZitadelSource(options.source, {
          ...selection,
          timeout: options.timeout ?? ZITADEL_CALL_TIMEOUT,
          maxMessageBytes,
          ...(options.viaGcs ? { viaGcs: options.viaGcs } : {}),
        });
  let target: OrgTarget | undefined;
  // Cancels the export when the import ends first (the target failed) or the caller aborts.
  const stopSource = new AbortController();
  try {
    target =
      targetKind === 'idport'
        ? createIdportTarget(options.target, {
            sourceKind,
            conflictPolicy: options.conflictPolicy ?? 'fail',
            dryRun: options.dryRun ?? false,
            timeout: options.timeout ?? '',
            maxMessageBytes,
            progress,
          })
        : createZitadelTarget(options.target, { sourceKind, timeout: options.timeout ?? ZITADEL_CALL_TIMEOUT, maxMessageBytes, progress });
    const orgs = noteWhereSourceFailed(source.orgs(AbortSignal.any([signal, stopSource.signal])), targetKind);
    return await target.write(orgs, signal);
  } catch (e) {
    if (signal.aborted) throw signal.reason ?? e;
    throw e;
  } finally {
    stopSource.abort();
    source.close();
    target?.close();
  }
}

/** A source failure after some messages says what that means for the target. */
async function* noteWhereSourceFailed(orgs: AsyncIterable<DataOrg>, targetKind: Kind): AsyncGenerator<DataOrg> {
  let sent = 0;
  try {
    for await (const org of orgs) {
      sent++;
      yield org;
    }
  } catch (e) {
    if (!(e instanceof MigrationError) || e.side !== 'source' || sent === 0) throw e;
    const note =
      targetKind === 'idport'
        ? ` (after ${sent} messages; the import was cancelled, the target rolled back the org it had open)`
        : ` (after ${sent} messages; the orgs the target imported so far stay)`;
    throw new MigrationError('source', e.cause as ConstructorParameters<typeof MigrationError>[1], note);
  }
}

// ---------------------------------------------------------------------------------------------
// Command line

/** Runs the command line; answers the exit code. */
export async function main(args: string[] = process.argv.slice(2)): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const controller = new AbortController();
  const interrupt = () => controller.abort(new Error('interrupted: both calls cancelled'));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  // The target's events: each says an org has gone in (and the source's read came first).
  const progress = createMigrateProgress(process.stderr);
  try {
    const options = await parseCommandLine(args);
    const report = await migrate({ ...options, signal: controller.signal, onProgress: (event) => progress.onProgress(event) });
    progress.stop();
    console.log(formatSummary(report));
    return hasFailures(report) ? 1 : 0;
  } catch (e) {
    progress.stop();
    if (e instanceof UsageError) {
      console.error(`migrate: ${e.message}\n${USAGE}`);
    } else {
      console.error(`migrate: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
    }
    return 2;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

/** The CLI from argv, for a host command (e.g. an `idport migrate` subcommand). */
export const runMigrateCli = main;

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  process.exitCode = await main();
}
