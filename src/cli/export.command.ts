import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { type JsonObject, type JsonValue, toJson } from '@bufbuild/protobuf';
import { MigrationService } from '../../gen/idport/v1/migration_pb.js';
import { DataOrgSchema } from '../../gen/zitadel/admin_pb.js';
import { CommandError, type EndpointFlags, type ExitCode, progress, readToken } from './endpoint-options.js';
import { GrpcClient, GrpcError } from './grpc-client.js';

/** The export filters every export command takes (`--org`, `--exclude-org`, `--with-*`, `--timeout`). */
export interface ExportFilterFlags {
  org?: string[];
  excludeOrg?: string[];
  withPasswords?: boolean;
  withOtp?: boolean;
  timeout?: string;
}

export interface ExportFlags extends EndpointFlags, ExportFilterFlags {
  output?: string;
}

/** The filters as ZITADEL's ExportDataRequest fields (outputs are the caller's). */
export function exportFilters(flags: ExportFilterFlags) {
  return {
    orgIds: flags.org ?? [],
    excludedOrgIds: flags.excludeOrg ?? [],
    withPasswords: flags.withPasswords ?? false,
    withOtp: flags.withOtp ?? false,
    timeout: flags.timeout ?? '',
  };
}

/** Merges a partial DataOrg (protobuf merge: repeated fields concatenate, the rest is set). */
function mergeInto(into: JsonObject, part: JsonObject): void {
  for (const [key, value] of Object.entries(part)) {
    const had = into[key];
    into[key] = Array.isArray(had) && Array.isArray(value) ? [...had, ...value] : (value as JsonValue);
  }
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * `idport export`: the instance's orgs as one ExportData file (`{"orgs":[…]}`, the shape
 * ImportData and ZITADEL read), fetched with StreamExport so neither side holds more than one
 * org; each org is written once its last part has arrived.
 */
export async function runExport(flags: ExportFlags, signal: AbortSignal): Promise<ExitCode> {
  const token = await readToken(flags);
  const client = new GrpcClient(MigrationService, flags.url, token);
  const out: Writable = flags.output && flags.output !== '-' ? createWriteStream(flags.output) : process.stdout;
  const shown = progress();
  let orgs = 0;
  let resources = 0;
  try {
    const messages = client.serverStream(
      MigrationService.method.streamExport,
      {
        request: exportFilters(flags),
      },
      { signal },
    );
    await write(out, '{"orgs":[');
    let current: JsonObject | undefined;
    const flush = async () => {
      if (!current) return;
      await write(out, `${orgs === 0 ? '' : ','}${JSON.stringify(current)}`);
      orgs += 1;
      shown.update(`exported ${orgs} org(s), ${resources} resource(s)`);
    };
    for await (const message of messages) {
      if (!message.org) continue;
      const part = toJson(DataOrgSchema, message.org) as JsonObject;
      for (const value of Object.values(part)) resources += Array.isArray(value) ? value.length : 0;
      if (current && current.orgId !== part.orgId) {
        await flush();
        current = undefined;
      }
      if (current) mergeInto(current, part);
      else current = part;
    }
    await flush();
    await write(out, ']}\n');
    shown.done();
    if (out !== process.stdout) {
      out.end();
      await finished(out);
    }
    process.stderr.write(
      `export: ${orgs} org(s), ${resources} resource(s)${flags.output && flags.output !== '-' ? ` written to ${flags.output}` : ''}\n`,
    );
    return 0;
  } catch (e) {
    shown.done();
    if (out !== process.stdout) out.destroy();
    if (e instanceof GrpcError) throw new CommandError(e.message);
    throw e;
  } finally {
    client.close();
  }
}
