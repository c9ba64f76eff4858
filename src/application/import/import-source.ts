import type { JsonObject } from '../../domain/json.js';
import { RESOURCE_KINDS } from '../../domain/resources/kinds.js';
import type { BlobStorage, BlobTarget, DataOrgShape, DecodedOrg, ImportFileCodec, ItemBatch, SourceOrg } from '../ports.js';
import { readAhead } from './read-ahead.js';

/**
 * Where an import's DataOrgs come from, as plain data: inline or as a stream (whole orgs, one
 * after the other, in the admin.v1 JSON shape), or a file in blob storage with the DataOrg
 * shape its request field declares. Reading the file is the codec port's job.
 */
export type ImportSource =
  | { kind: 'inline'; orgs: Iterable<JsonObject> | AsyncIterable<JsonObject> }
  | { kind: 'blob'; target: BlobTarget; shape: DataOrgShape };

export interface SourceDeps {
  blobs: BlobStorage;
  codec: ImportFileCodec;
}

/** A source opened for an import: its orgs in order, and what to release once the import ends. */
export interface OpenSource {
  orgs: AsyncIterable<DecodedOrg>;
  /** Closes the file (and removes a downloaded copy); the later passes read it until then. */
  close(): Promise<void>;
}

/** Items handed to the importer at once: a batch, not a whole list (ports.ts ItemBatch). */
export const INLINE_BATCH = 1000;

/**
 * Opens the source. A file is read once, in order, to check and index it before anything is
 * written (a truncated or malformed file writes nothing; a remote one is downloaded once);
 * its orgs then come from the index, one org's head ahead of the importer.
 */
export async function openSource(deps: SourceDeps, source: ImportSource, signal: AbortSignal): Promise<OpenSource> {
  if (source.kind === 'inline') {
    const given = source.orgs;
    return {
      orgs: (async function* () {
        for await (const org of given) yield { org: inlineOrg(org) };
      })(),
      close: async () => undefined,
    };
  }
  deps.blobs.check(source.target);
  const blob = await deps.blobs.open(source.target, signal);
  try {
    const index = await deps.codec.index(blob.bytes);
    return { orgs: readAhead(deps.codec.orgs(index, blob.file(), source.shape)), close: () => blob.close() };
  } catch (e) {
    await blob.close();
    throw e;
  }
}

const LISTS = new Set(RESOURCE_KINDS.filter((k) => k.repeated).map((k) => k.field));

/** An org given whole (inline, streamed) in the shape a file's orgs have: its lists in batches. */
export function inlineOrg(org: JsonObject): SourceOrg {
  const head: JsonObject = {};
  for (const [key, value] of Object.entries(org)) if (!LISTS.has(key)) head[key] = value;
  return {
    head,
    items: (field) => batches(org[field]),
    only(fields) {
      const kept: JsonObject = { orgId: org.orgId ?? '' };
      for (const field of fields) if (org[field] !== undefined) kept[field] = org[field] ?? null;
      return inlineOrg(kept);
    },
  };
}

async function* batches(list: JsonObject[keyof JsonObject] | undefined): AsyncGenerator<ItemBatch> {
  if (!Array.isArray(list)) return;
  for (let first = 0; first < list.length; first += INLINE_BATCH) {
    yield { items: list.slice(first, first + INLINE_BATCH) as JsonObject[], first, failed: [] };
  }
}
