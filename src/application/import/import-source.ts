import type { JsonObject } from '../../domain/json.js';
import type { BlobStorage, BlobTarget, DataOrgShape, DecodedOrg, ImportFileCodec } from '../ports.js';
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

/**
 * The source's orgs one at a time. A file is checked whole first, so a truncated or malformed
 * one writes nothing, then decoded one org ahead of the importer (CPU and database overlap).
 */
export async function* readOrgs(deps: SourceDeps, source: ImportSource, signal: AbortSignal): AsyncGenerator<DecodedOrg> {
  if (source.kind === 'inline') {
    for await (const org of source.orgs) yield { org };
    return;
  }
  deps.blobs.check(source.target);
  await deps.codec.validate(deps.blobs.read(source.target, signal));
  yield* readAhead(deps.codec.decode(deps.blobs.read(source.target, signal), source.shape));
}
