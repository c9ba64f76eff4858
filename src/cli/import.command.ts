import { open, stat } from 'node:fs/promises';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { ConflictPolicy, MigrationService, type StreamImportRequestSchema } from '../../gen/idport/v1/migration_pb.js';
import { fileReader } from '../blob/spool.js';
import { exportFileOrgs } from '../transport/codec/export-file-orgs.js';
import { CommandError, type EndpointFlags, type ExitCode, progress, readToken } from './endpoint-options.js';
import { GrpcClient, GrpcError } from './grpc-client.js';
import { idportReport } from './migrate/report.js';
import { formatSummary, hasFailures } from './migrate.js';

export interface ImportFlags extends EndpointFlags {
  conflictPolicy?: 'fail' | 'skip' | 'overwrite';
  dryRun?: boolean;
  timeout?: string;
}

const POLICY = { fail: ConflictPolicy.FAIL, skip: ConflictPolicy.SKIP, overwrite: ConflictPolicy.OVERWRITE } as const;

/**
 * `idport import FILE`: an ExportData file (admin DataOrgs, `{"orgs":[…]}`) into a running
 * instance over StreamImport, read org by org (the file is never held whole), with the report's
 * totals and errors at the end.
 */
export async function runImport(file: string, flags: ImportFlags, signal: AbortSignal): Promise<ExitCode> {
  const token = await readToken(flags);
  const size = await stat(file).then(
    (s) => s.size,
    (e: NodeJS.ErrnoException) => {
      throw new CommandError(`cannot read ${file}: ${e.code ?? e.message}`);
    },
  );
  const client = new GrpcClient(MigrationService, flags.url, token);
  const shown = progress();
  const handle = await open(file, 'r');
  const reader = fileReader(handle);
  let orgs = 0;
  // Read once to check and index the file (export-file-orgs.ts), then org by org by offset.
  const bytes = (async function* () {
    for (let position = 0; ; ) {
      const chunk = await reader.read(position, 1024 * 1024);
      if (chunk.length === 0) return;
      position += chunk.length;
      yield chunk;
    }
  })();
  async function* requests(): AsyncGenerator<MessageInitShape<typeof StreamImportRequestSchema>> {
    for await (const org of exportFileOrgs({ bytes, file: () => reader, close: () => handle.close() })) {
      yield orgs === 0
        ? {
            org,
            options: { conflictPolicy: POLICY[flags.conflictPolicy ?? 'fail'], dryRun: flags.dryRun ?? false },
            timeout: flags.timeout ?? '',
          }
        : { org };
      orgs += 1;
      shown.update(`sent ${orgs} org(s) of ${file} (${size} bytes)`);
    }
  }
  try {
    const report = idportReport('idport', await client.clientStream(MigrationService.method.streamImport, requests(), { signal }));
    shown.done();
    console.log(formatSummary(report));
    return hasFailures(report) ? 1 : 0;
  } catch (e) {
    shown.done();
    if (e instanceof GrpcError) throw new CommandError(e.message);
    if (e instanceof Error && !(e instanceof CommandError) && !signal.aborted) throw new CommandError(`${file}: ${e.message}`);
    throw e;
  } finally {
    await handle.close().catch(() => undefined);
    client.close();
  }
}
