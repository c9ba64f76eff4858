/**
 * The BlobStorage port as compose.ts sees it: one object that sends each target to the adapter
 * for its kind (gcs.ts or local-file.ts).
 */
import type { BlobStorage, BlobTarget } from '../application/ports.js';

/** The target variant of one kind, e.g. `TargetOf<'gcs'>`. */
export type TargetOf<K extends BlobTarget['kind']> = Extract<BlobTarget, { kind: K }>;

/** An adapter that handles one kind of target: the same contract as BlobStorage, narrowed. */
export interface BlobStorageFor<K extends BlobTarget['kind']> {
  check(target: TargetOf<K>): void;
  write(target: TargetOf<K>, chunks: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<void>;
  read(target: TargetOf<K>, signal: AbortSignal): AsyncIterable<Uint8Array>;
}

export function createBlobStorage(adapters: { gcs: BlobStorageFor<'gcs'>; local: BlobStorageFor<'local'> }): BlobStorage {
  return {
    check(target) {
      if (target.kind === 'gcs') adapters.gcs.check(target);
      else adapters.local.check(target);
    },
    write(target, chunks, signal) {
      return target.kind === 'gcs' ? adapters.gcs.write(target, chunks, signal) : adapters.local.write(target, chunks, signal);
    },
    read(target, signal) {
      return target.kind === 'gcs' ? adapters.gcs.read(target, signal) : adapters.local.read(target, signal);
    },
  };
}
