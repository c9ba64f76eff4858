import { deadlineExceeded, invalidArgument, notFound } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/json.js';
import { EXPORT_ORDER } from '../../domain/resources/kinds.js';
import { withSecrets } from '../../domain/resources/prepare.js';
import type { BlobStorage, BlobTarget, ResourceReader, ResourceTransactions } from '../ports.js';
import { createChannel } from './channel.js';

export interface ExportCommand {
  orgIds: readonly string[];
  excludedOrgIds: readonly string[];
  withPasswords: boolean;
  withOtp: boolean;
  /** Return the JSON to the caller. */
  toResponse: boolean;
  /** Also write it to these blobs (GCS, local file). */
  targets: readonly BlobTarget[];
  signal: AbortSignal;
}

export interface ExportResult {
  /** ExportDataResponse JSON text, when asked for. */
  json?: string;
  orgCount: number;
}

const encoder = new TextEncoder();
/** Bytes per chunk handed to sinks: large enough for few syscalls, small enough for flat memory. */
const FLUSH_BYTES = 256 * 1024;

/**
 * Exports the selected orgs as ZITADEL's ExportDataResponse JSON (`{"orgs":[DataOrg…]}`),
 * read from one consistent snapshot and streamed: the JSON is written chunk by chunk to every
 * target at once, and only held whole in memory when the caller wants it in the response.
 */
export function createExporter(deps: { tx: ResourceTransactions; blobs: BlobStorage }) {
  return async function exportData(cmd: ExportCommand): Promise<ExportResult> {
    if (!cmd.toResponse && cmd.targets.length === 0) {
      throw invalidArgument('EXPORT-no-output', 'choose at least one output: response_output, gcs_output or local_output');
    }
    try {
      return await deps.tx.read(cmd.signal, async (reader) => {
        const orgIds = await selectOrgs(reader, cmd);
        const sinks = cmd.targets.map((target) => {
          const channel = createChannel<Uint8Array>();
          return { channel, done: deps.blobs.write(target, channel.iterable, cmd.signal) };
        });
        // A sink that fails early must stop the producer instead of leaving it blocked.
        const sinkFailure = Promise.all(sinks.map((s) => s.done)).then(() => new Promise<never>(() => {}));
        const parts: string[] = [];
        let buffered: string[] = [];
        let size = 0;
        const flush = async () => {
          if (buffered.length === 0) return;
          const text = buffered.join('');
          buffered = [];
          size = 0;
          if (cmd.toResponse) parts.push(text);
          if (sinks.length) {
            const bytes = encoder.encode(text);
            await Promise.race([Promise.all(sinks.map((s) => s.channel.push(bytes))), sinkFailure]);
          }
        };
        const write = async (text: string) => {
          buffered.push(text);
          size += text.length;
          if (size >= FLUSH_BYTES) await flush();
        };
        try {
          await writeExport(reader, orgIds, cmd, write);
          await flush();
          for (const s of sinks) s.channel.close();
        } catch (e) {
          for (const s of sinks) s.channel.close(e);
          await Promise.allSettled(sinks.map((s) => s.done));
          throw e;
        }
        await Promise.all(sinks.map((s) => s.done));
        const result: ExportResult = { orgCount: orgIds.length };
        if (cmd.toResponse) result.json = parts.join('');
        return result;
      });
    } catch (e) {
      if (cmd.signal.aborted) throw deadlineExceeded('EXPORT-deadline', 'deadline exceeded before the export was complete');
      throw e;
    }
  };
}

async function selectOrgs(reader: ResourceReader, cmd: ExportCommand): Promise<string[]> {
  const all = await reader.orgIds();
  const existing = new Set(all);
  const unknown = [...new Set([...cmd.orgIds, ...cmd.excludedOrgIds])].filter((id) => !existing.has(id));
  if (unknown.length > 0) throw notFound('EXPORT-org-not-found', `organisations not found: ${unknown.join(', ')}`);
  const excluded = new Set(cmd.excludedOrgIds);
  const wanted = cmd.orgIds.length ? new Set(cmd.orgIds) : existing;
  return all.filter((id) => wanted.has(id) && !excluded.has(id));
}

async function writeExport(
  reader: ResourceReader,
  orgIds: string[],
  cmd: ExportCommand,
  write: (text: string) => Promise<void>,
) {
  const secrets = { passwords: cmd.withPasswords, otp: cmd.withOtp };
  await write('{"orgs":[');
  for (const [n, orgId] of orgIds.entries()) {
    if (cmd.signal.aborted) throw deadlineExceeded('EXPORT-deadline', 'deadline exceeded before the export was complete');
    let head: JsonObject = {};
    for await (const row of reader.read('org', orgId, secrets)) head = row.item;
    await write(`${n ? ',' : ''}{"orgId":${JSON.stringify(orgId)},"org":${JSON.stringify(head.org ?? {})}`);
    for (const kind of EXPORT_ORDER) {
      let count = 0;
      for await (const row of reader.read(kind.type, orgId, secrets)) {
        const item = row.secrets ? withSecrets(row.item, row.secrets) : row.item;
        if (!kind.repeated) {
          await write(`,${JSON.stringify(kind.field)}:${JSON.stringify(item)}`);
          continue;
        }
        await write(`${count++ ? ',' : `,${JSON.stringify(kind.field)}:[`}${JSON.stringify(item)}`);
      }
      if (kind.repeated && count) await write(']');
    }
    // Always written (protojson writes a set enum): it also marks the file as admin-shaped for
    // importers that receive it as data_orgsv1 (see transport/codec/data-org.ts).
    await write(`,"orgState":${JSON.stringify(head.orgState ?? 'ORG_STATE_ACTIVE')}`);
    await write('}');
  }
  await write(']}');
}
