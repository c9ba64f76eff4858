import type { JsonObject } from '../domain/json.js';
import type { RandomAccessFile } from './ports.js';

/*
 * The ports through which the import reads its source (re-exported by ports.ts): the import
 * file codec (implemented in transport/codec, wired in compose.ts) and the shape every org
 * has for the importer, read from a file or given inline (application/import/import-source.ts).
 */

/** Which DataOrg message an import file declares it holds (its request field: `data_orgs…` or `data_orgsv1…`). */
export type DataOrgShape = 'admin' | 'v1';

/** One org read from an import source: ready to import, or why it cannot be. */
export type DecodedOrg = { org: SourceOrg } | { orgId: string; error: string };

/**
 * One org of an import as its passes read it: the small head at once, each list when its
 * kind's turn comes, in batches, so memory holds a batch and not an org.
 */
export interface SourceOrg {
  /** The org without its lists: orgId, org, orgState and the singleton settings (canonical admin.v1 JSON). */
  readonly head: JsonObject;
  /** The items of list field `field` (a DataOrg JSON name), in batches; read anew on every call. */
  items(field: string): AsyncIterable<ItemBatch>;
  /** This org reduced to its id and the lists `fields`: what is kept for the later passes. */
  only(fields: readonly string[]): SourceOrg;
}

/** Consecutive items of one list. */
export interface ItemBatch {
  /** Canonical admin.v1 JSON items. */
  items: JsonObject[];
  /** The place of `items[0]` in its list (a nameless item is reported by its place). */
  first: number;
  /** Items that are JSON but not a valid message: each fails alone (IMPORT-item-decode). */
  failed: { item: JsonObject; message: string }[];
}

/** An import file's index (ImportFileCodec.index): opaque to the application but for its size. */
export interface ImportFileIndex {
  readonly orgCount: number;
}

/**
 * Reads import files (ZITADEL's ExportData JSON) for the import use case, so it never calls
 * back into the wire format's code. Implemented in transport/codec, wired in compose.ts.
 */
export interface ImportFileCodec {
  /**
   * Reads the whole file once, in order, before anything is imported: checks its structure and
   * all of its JSON, and indexes its orgs and items. Errors: InvalidArgument (truncated,
   * malformed), ResourceExhausted (too much outside the orgs).
   */
  index(bytes: AsyncIterable<Uint8Array>): Promise<ImportFileIndex>;
  /**
   * The indexed file's orgs in file order, read from `file` by the index. An org's shape comes
   * from its content; `declared` decides the ones that read the same either way. An org whose
   * head is JSON but not a DataOrg comes back as an error for that org alone.
   */
  orgs(index: ImportFileIndex, file: RandomAccessFile, declared: DataOrgShape): AsyncIterable<DecodedOrg>;
}
