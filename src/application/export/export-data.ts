import { deadlineExceeded, invalidArgument } from '../../domain/errors.js';
import type { BlobStorage, BlobTarget, ResourceTransactions } from '../ports.js';
import { createChannel } from './channel.js';
import { type ExportPart, type ExportSelection, exportDeadline, exportFrames, exportParts, frameText, selectOrgs } from './export-parts.js';
import { createUtf8Chunks } from './utf8-chunks.js';

export interface ExportCommand extends ExportSelection {
  /** Return the JSON to the caller. */
  toResponse: boolean;
  /** Also write it to these blobs (GCS, local file). */
  targets: readonly BlobTarget[];
}

export interface ExportResult {
  /** ExportDataResponse JSON text, when asked for. */
  json?: string;
  orgCount: number;
}

/** Bytes per chunk handed to sinks: large enough for few syscalls, small enough for flat memory. */
const FLUSH_BYTES = 256 * 1024;
/** Resources read per batch. */
const BATCH = 1000;

/**
 * Exports the selected orgs as ZITADEL's ExportDataResponse JSON (`{"orgs":[DataOrg…]}`),
 * read from one consistent snapshot and streamed: chunks go to every target as they are made,
 * and the JSON is only held whole in memory when the caller wants it in the response.
 */
export function createExporter(deps: { tx: ResourceTransactions; blobs: BlobStorage }) {
  return async function exportData(cmd: ExportCommand): Promise<ExportResult> {
    if (!cmd.toResponse && cmd.targets.length === 0) {
      throw invalidArgument('EXPORT-no-output', 'choose at least one output: response_output, gcs_output or local_output');
    }
    for (const target of cmd.targets) deps.blobs.check(target);
    try {
      return await deps.tx.read(cmd.signal, async (reader) => {
        const orgIds = await selectOrgs(reader, cmd);
        const sinks = cmd.targets.map((target) => {
          const channel = createChannel<Uint8Array>();
          return { channel, done: deps.blobs.write(target, channel.iterable, cmd.signal) };
        });
        // A sink that fails early must stop the producer instead of leaving it blocked.
        const sinkFailure = Promise.all(sinks.map((s) => s.done)).then(() => new Promise<never>(() => {}));
        sinkFailure.catch(() => {});
        const response: string[] = [];
        const chunks = createUtf8Chunks(FLUSH_BYTES);
        const send = async () => {
          for (const bytes of chunks.ready.splice(0)) {
            await Promise.race([Promise.all(sinks.map((s) => s.channel.push(bytes))), sinkFailure]);
          }
        };
        try {
          for await (const frame of exportFrames(exportParts(reader, orgIds, cmd, BATCH))) {
            if (cmd.toResponse) response.push(frameText(frame));
            if (sinks.length === 0) continue;
            chunks.add(frame);
            if (chunks.ready.length) await send();
          }
          chunks.end();
          await send();
          for (const s of sinks) s.channel.close();
        } catch (e) {
          for (const s of sinks) s.channel.close(e);
          await Promise.allSettled(sinks.map((s) => s.done));
          throw e;
        }
        await Promise.all(sinks.map((s) => s.done));
        const result: ExportResult = { orgCount: orgIds.length };
        if (cmd.toResponse) result.json = response.join('');
        return result;
      });
    } catch (e) {
      if (cmd.signal.aborted) throw exportDeadline();
      throw e;
    }
  };
}

/**
 * The same export as a stream of parts (for server-streaming RPCs): the snapshot transaction
 * stays open while the consumer reads, and backpressure flows to the database reads. A
 * consumer that takes nothing for `idleTimeoutMs` (a client that stopped reading: its
 * flow-control window is full) ends the stream with DEADLINE_EXCEEDED, so its transaction
 * rolls back and its connection goes back to the pool instead of being held until the client
 * goes away (issue 9: 20 unread streams held the whole pool).
 */
export function createExportStreamer(deps: { tx: ResourceTransactions; idleTimeoutMs: number }) {
  const idle = () =>
    deadlineExceeded(
      'EXPORT-stream-idle',
      `the stream was not read for ${deps.idleTimeoutMs} ms (IDPORT_STREAM_IDLE_TIMEOUT); read it as it arrives`,
    );
  return function streamExport(sel: ExportSelection, batch: number): AsyncIterable<ExportPart> {
    const channel = createChannel<ExportPart>();
    deps.tx
      .read(sel.signal, async (reader) => {
        for await (const part of exportParts(reader, await selectOrgs(reader, sel), sel, batch)) {
          await channel.offer(part, sel.signal, deps.idleTimeoutMs, idle);
        }
      })
      .then(
        () => channel.close(),
        (e) => channel.close(sel.signal.aborted ? exportDeadline() : e),
      );
    return channel.iterable;
  };
}
