/**
 * The BlobStorage port as compose.ts sees it: one object that sends each target to the adapter
 * for its kind (gcs.ts, s3.ts or local-file.ts).
 */
import type { BlobFingerprint, BlobStorage, BlobTarget, OpenedBlob } from '../application/ports.js';
import { spoolBlob } from './spool.js';

/** The target variant of one kind, e.g. `TargetOf<'gcs'>`. */
export type TargetOf<K extends BlobTarget['kind']> = Extract<BlobTarget, { kind: K }>;

/** An adapter that handles one kind of target: the same contract as BlobStorage, narrowed. */
export interface BlobStorageFor<K extends BlobTarget['kind']> {
  check(target: TargetOf<K>): void;
  write(target: TargetOf<K>, chunks: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<void>;
  read(target: TargetOf<K>, signal: AbortSignal): AsyncIterable<Uint8Array>;
  describe(target: TargetOf<K>, signal: AbortSignal): Promise<BlobFingerprint>;
}

/** The local adapter also opens a file in place (BlobStorage.open, without a copy). */
export interface LocalBlobStorage extends BlobStorageFor<'local'> {
  open(target: TargetOf<'local'>, signal: AbortSignal): Promise<OpenedBlob>;
}

export interface BlobAdapters {
  gcs: BlobStorageFor<'gcs'>;
  s3: BlobStorageFor<'s3'>;
  local: LocalBlobStorage;
  /** Where copies of remote blobs being imported are kept (spool.ts); the system's temp directory if unset. */
  spoolDir?: string;
}

export function createBlobStorage(adapters: BlobAdapters): BlobStorage {
  return {
    check(target) {
      switch (target.kind) {
        case 'gcs':
          return adapters.gcs.check(target);
        case 's3':
          return adapters.s3.check(target);
        case 'local':
          return adapters.local.check(target);
      }
    },
    write(target, chunks, signal) {
      switch (target.kind) {
        case 'gcs':
          return adapters.gcs.write(target, chunks, signal);
        case 's3':
          return adapters.s3.write(target, chunks, signal);
        case 'local':
          return adapters.local.write(target, chunks, signal);
      }
    },
    read(target, signal) {
      switch (target.kind) {
        case 'gcs':
          return adapters.gcs.read(target, signal);
        case 's3':
          return adapters.s3.read(target, signal);
        case 'local':
          return adapters.local.read(target, signal);
      }
    },
    describe(target, signal) {
      switch (target.kind) {
        case 'gcs':
          return adapters.gcs.describe(target, signal);
        case 's3':
          return adapters.s3.describe(target, signal);
        case 'local':
          return adapters.local.describe(target, signal);
      }
    },
    open(target, signal) {
      // A remote blob is downloaded once, into a private copy the import then reads by offset.
      if (target.kind === 'local') return adapters.local.open(target, signal);
      return spoolBlob(this.read(target, signal), adapters.spoolDir);
    },
  };
}
