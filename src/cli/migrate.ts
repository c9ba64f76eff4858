/**
 * Instance-to-instance migration: idport.v1.MigrationService/StreamExport on the source piped,
 * message by message, into StreamImport on the target, both over gRPC (@grpc/grpc-js).
 *
 *   tsx src/cli/migrate.ts --from http://a:8080 --from-token-file a.pat \
 *     --to http://b:8080 --to-token-file b.pat [--org ID]... [--exclude-org ID]... \
 *     [--with-passwords] [--with-otp] [--conflict-policy fail|skip|overwrite] [--dry-run] [--timeout 1h]
 *
 * Exit codes: 0 the import reported no failures, 1 some resources failed, 2 usage or call errors.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  ConflictPolicy,
  type ImportDataResponse,
  MigrationService,
  type StreamImportRequestSchema,
} from '../../gen/idport/v1/migration_pb.js';
import { GrpcClient, GrpcError, parseTarget } from './grpc-client.js';

export interface Endpoint {
  /** `http://host:port` (plaintext HTTP/2) or `https://host:port` (TLS). */
  url: string;
  /** A PAT sent as `authorization: Bearer <token>`. */
  token: string;
}

export interface MigrateOptions {
  source: Endpoint;
  target: Endpoint;
  /** Orgs to move (empty or absent: all of the source's orgs). */
  orgIds?: string[];
  excludedOrgIds?: string[];
  withPasswords: boolean;
  withOtp: boolean;
  conflictPolicy?: 'fail' | 'skip' | 'overwrite';
  dryRun?: boolean;
  /** Go duration (`"30m"`, `"1h"`), applied by both servers to their side of the call. */
  timeout?: string;
  /** Most resources per streamed message (the source's default is 1000). */
  itemsPerMessage?: number;
  /** Aborting cancels both calls; the target rolls back the transaction it has open. */
  signal?: AbortSignal;
}

/** A failed call on one side: `codeName` is the gRPC status name (`UNAUTHENTICATED`, `NOT_FOUND`, …). */
export class MigrationError extends Error {
  readonly side: 'source' | 'target';
  readonly code: number;
  readonly codeName: string;

  constructor(side: 'source' | 'target', cause: GrpcError, note = '') {
    super(`${side}: ${cause.message}${note}`, { cause });
    this.name = 'MigrationError';
    this.side = side;
    this.code = cause.code;
    this.codeName = cause.codeName;
  }
}

const POLICY = { fail: ConflictPolicy.FAIL, skip: ConflictPolicy.SKIP, overwrite: ConflictPolicy.OVERWRITE } as const;

type ImportRequest = MessageInitShape<typeof StreamImportRequestSchema>;

/**
 * Streams the source's orgs into the target and answers with the target's import report.
 * Each export message is forwarded as it arrives, and the next one is read only once the
 * target's connection has taken it, so memory stays bounded by a message or two. Rejects with
 * a MigrationError when either call fails; a source failure midway cancels the import.
 */
export async function migrate(options: MigrateOptions): Promise<ImportDataResponse> {
  options.signal?.throwIfAborted();
  const source = new GrpcClient(MigrationService, options.source.url, options.source.token);
  let target: GrpcClient<typeof MigrationService> | undefined;
  // Cancels the export when the import ends first (the target failed) or the caller aborts.
  const stopSource = new AbortController();
  const sourceSignal = options.signal ? AbortSignal.any([options.signal, stopSource.signal]) : stopSource.signal;
  try {
    target = new GrpcClient(MigrationService, options.target.url, options.target.token);
    const exported = source.serverStream(
      MigrationService.method.streamExport,
      {
        request: {
          orgIds: options.orgIds ?? [],
          excludedOrgIds: options.excludedOrgIds ?? [],
          withPasswords: options.withPasswords,
          withOtp: options.withOtp,
          timeout: options.timeout ?? '',
        },
        itemsPerMessage: options.itemsPerMessage ?? 0,
      },
      { signal: sourceSignal },
    );
    const first: ImportRequest = {
      options: { conflictPolicy: POLICY[options.conflictPolicy ?? 'fail'], dryRun: options.dryRun ?? false },
      timeout: options.timeout ?? '',
    };
    async function* requests(): AsyncGenerator<ImportRequest> {
      let sent = 0;
      try {
        for await (const message of exported) {
          yield sent++ === 0 ? { ...first, org: message.org } : { org: message.org };
        }
      } catch (e) {
        if (e instanceof GrpcError && !options.signal?.aborted) {
          const note = sent === 0 ? '' : ` (after ${sent} messages; the import was cancelled, the target rolled back the org it had open)`;
          throw new MigrationError('source', e, note);
        }
        throw e;
      }
    }
    try {
      return await target.clientStream(MigrationService.method.streamImport, requests(), options.signal ? { signal: options.signal } : {});
    } catch (e) {
      if (options.signal?.aborted) throw options.signal.reason ?? e;
      throw e instanceof GrpcError ? new MigrationError('target', e) : e;
    }
  } finally {
    stopSource.abort();
    source.close();
    target?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Command line

class UsageError extends Error {}

const USAGE = `usage: migrate --from URL (--from-token-file FILE | IDPORT_SOURCE_TOKEN) --to URL (--to-token-file FILE | IDPORT_TARGET_TOKEN)
               [--org ID]... [--exclude-org ID]... [--with-passwords] [--with-otp]
               [--conflict-policy fail|skip|overwrite] [--dry-run] [--timeout DURATION] [--items-per-message N]`;

const GO_DURATION = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/;

async function token(file: string | undefined, envName: string, side: string): Promise<string> {
  let value: string | undefined;
  if (file !== undefined) {
    try {
      value = (await readFile(file, 'utf8')).trim();
    } catch (e) {
      throw new UsageError(`cannot read the ${side} token file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  } else {
    value = process.env[envName]?.trim();
  }
  if (!value) throw new UsageError(`no ${side} token: pass --${side === 'source' ? 'from' : 'to'}-token-file FILE or set ${envName}`);
  return value;
}

function parseFlags(args: string[]) {
  try {
    return parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        from: { type: 'string' },
        'from-token-file': { type: 'string' },
        to: { type: 'string' },
        'to-token-file': { type: 'string' },
        org: { type: 'string', multiple: true },
        'exclude-org': { type: 'string', multiple: true },
        'with-passwords': { type: 'boolean' },
        'with-otp': { type: 'boolean' },
        'conflict-policy': { type: 'string' },
        'dry-run': { type: 'boolean' },
        timeout: { type: 'string' },
        'items-per-message': { type: 'string' },
      },
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The command line as MigrateOptions (without signal). */
export async function parseCommandLine(args: string[]): Promise<MigrateOptions> {
  const values = parseFlags(args);
  if (!values.from) throw new UsageError('--from URL is required');
  if (!values.to) throw new UsageError('--to URL is required');
  for (const [flag, url] of [
    ['--from', values.from],
    ['--to', values.to],
  ] as const) {
    try {
      parseTarget(url);
    } catch (e) {
      throw new UsageError(`${flag}: ${(e as Error).message}`);
    }
  }
  const policy = values['conflict-policy'];
  if (policy !== undefined && policy !== 'fail' && policy !== 'skip' && policy !== 'overwrite') {
    throw new UsageError(`--conflict-policy must be fail, skip or overwrite, not ${JSON.stringify(policy)}`);
  }
  if (values.timeout !== undefined && !GO_DURATION.test(values.timeout)) {
    throw new UsageError(`--timeout must be a Go duration such as 30m or 1h, not ${JSON.stringify(values.timeout)}`);
  }
  let itemsPerMessage: number | undefined;
  if (values['items-per-message'] !== undefined) {
    itemsPerMessage = Number(values['items-per-message']);
    if (!Number.isInteger(itemsPerMessage) || itemsPerMessage < 1 || itemsPerMessage > 0xffffffff) {
      throw new UsageError(`--items-per-message must be a positive integer, not ${JSON.stringify(values['items-per-message'])}`);
    }
  }
  const [sourceToken, targetToken] = await Promise.all([
    token(values['from-token-file'], 'IDPORT_SOURCE_TOKEN', 'source'),
    token(values['to-token-file'], 'IDPORT_TARGET_TOKEN', 'target'),
  ]);
  return {
    source: { url: values.from, token: sourceToken },
    target: { url: values.to, token: targetToken },
    orgIds: values.org ?? [],
    excludedOrgIds: values['exclude-org'] ?? [],
    withPasswords: values['with-passwords'] ?? false,
    withOtp: values['with-otp'] ?? false,
    ...(policy === undefined ? {} : { conflictPolicy: policy }),
    dryRun: values['dry-run'] ?? false,
    ...(values.timeout === undefined ? {} : { timeout: values.timeout }),
    ...(itemsPerMessage === undefined ? {} : { itemsPerMessage }),
  };
}

/** The import report as the CLI prints it: totals, then one line per error. */
export function formatSummary(report: ImportDataResponse): string {
  const c = report.counts;
  const orgs = report.response?.success?.orgs.length ?? 0;
  const lines = [
    `${report.dryRun ? 'dry run (nothing written): ' : ''}${orgs} org(s) imported`,
    `created ${c?.created ?? 0n}, unchanged ${c?.unchanged ?? 0n}, updated ${c?.updated ?? 0n}, skipped ${c?.skipped ?? 0n}, failed ${c?.failed ?? 0n}`,
  ];
  const errors = report.response?.errors ?? [];
  if (errors.length > 0) {
    lines.push(`${errors.length} error(s):`);
    for (const e of errors) lines.push(`  ${e.type} ${e.id}: ${e.message}`);
  }
  return lines.join('\n');
}

/** True when the report has failed resources or errors (exit code 1). */
export function hasFailures(report: ImportDataResponse): boolean {
  return (report.counts?.failed ?? 0n) > 0n || (report.response?.errors.length ?? 0) > 0;
}

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
  try {
    const options = await parseCommandLine(args);
    const report = await migrate({ ...options, signal: controller.signal });
    console.log(formatSummary(report));
    return hasFailures(report) ? 1 : 0;
  } catch (e) {
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

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  process.exitCode = await main();
}
