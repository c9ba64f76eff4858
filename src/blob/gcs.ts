/**
 * BlobStorage for `gcs` targets, through @google-cloud/storage. Credentials come with each
 * target (ZITADEL's GCSOutput/GCSInput carry them per request), so every call builds its own
 * client. Tests point it at test/support/gcs-emulator via STORAGE_EMULATOR_HOST or `apiEndpoint`;
 * with either set the SDK sends no auth at all (`useAuthWithCustomEndpoint` defaults to false).
 */
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { File, StorageOptions } from '@google-cloud/storage';
import { invalidArgument } from '../domain/errors.js';
import { abortable, blobDeadline } from './abort.js';
import type { BlobStorageFor, TargetOf } from './blob-storage.js';
import { parseServiceAccount } from './gcs-credentials.js';
import { mapGcsError } from './gcs-errors.js';

export interface GcsBlobStorageOptions {
  /** Another JSON-API endpoint, e.g. an emulator's `http://127.0.0.1:PORT`. */
  apiEndpoint?: string;
}

/**
 * Retries are kept short so an unreachable bucket surfaces as Unavailable in seconds; the
 * SDK's defaults (3 retries, up to 64 s apart, 600 s in total) would hold a request for minutes.
 * Learned from the SDK 8.4.0 source:
 * - `maxRetries: 0` is ignored (the constructor tests it for truthiness); `autoRetry: false`
 *   is the way to switch retries off.
 * - Delays are min(multiplier^n s + up to 1 s jitter, maxRetryDelay s), so at most ~1 s here.
 * - retry-request (reads) stops silently, emitting neither data nor error, when `totalTimeout`
 *   runs out before its retries do, so totalTimeout stays far above maxRetries × maxRetryDelay.
 * - Uploads retry only when idempotent; by default that needs an ifGenerationMatch
 *   precondition. Rewriting the same export twice is harmless, so all are treated as idempotent.
 */
const RETRY_OPTIONS: NonNullable<StorageOptions['retryOptions']> = {
  autoRetry: true,
  maxRetries: 2,
  retryDelayMultiplier: 2,
  maxRetryDelay: 1,
  totalTimeout: 60,
  // IdempotencyStrategy.RetryAlways; the enum's value, so the SDK need not load at start-up.
  idempotencyStrategy: 0,
};

/**
 * The SDK (and its google-auth stack) is ~40 MB of resident memory; it is loaded on the first
 * GCS call, not by every server that never uses GCS.
 */
let sdk: Promise<typeof import('@google-cloud/storage')> | undefined;
const loadSdk = () => (sdk ??= import('@google-cloud/storage'));

// Resumable uploads in 8 MiB requests (GCS's recommended minimum; a multiple of 256 KiB): a
// failed request is retried from this much memory instead of restarting the whole export.
const CHUNK_SIZE = 8 * 1024 * 1024;

// Bucket names per https://cloud.google.com/storage/docs/buckets#naming (dotted names may reach 222).
const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

export function createGcsBlobStorage(options: GcsBlobStorageOptions = {}): BlobStorageFor<'gcs'> {
  const fileFor = async (target: TargetOf<'gcs'>): Promise<File> => {
    checkTarget(target);
    const account = parseServiceAccount(target.serviceAccountJsonBase64);
    const { Storage } = await loadSdk();
    const storage = new Storage({
      projectId: account.projectId,
      credentials: { client_email: account.clientEmail, private_key: account.privateKey },
      retryOptions: RETRY_OPTIONS,
      ...(options.apiEndpoint === undefined ? {} : { apiEndpoint: options.apiEndpoint }),
    });
    return storage.bucket(target.bucket).file(target.path);
  };

  return {
    check(target) {
      checkTarget(target);
      parseServiceAccount(target.serviceAccountJsonBase64);
    },

    async write(target, chunks, signal) {
      if (signal.aborted) throw blobDeadline();
      const where = `gs://${target.bucket}/${target.path}`;
      const upload = (await fileFor(target)).createWriteStream({
        // Resumable: GCS shows the object only after the last byte, so a failed or aborted
        // write leaves nothing behind (an unfinished session expires on its own after a week).
        resumable: true,
        chunkSize: CHUNK_SIZE,
        contentType: 'application/json',
        validation: 'crc32c',
      });
      const done = finished(upload);
      // If the upload fails while `chunks` is still producing, stop waiting for the producer.
      const uploadFailed = new AbortController();
      done.catch(() => uploadFailed.abort());
      // Destroying with an error (not without) is what makes the SDK abort its in-flight request.
      const onAbort = () => upload.destroy(blobDeadline());
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        for await (const chunk of abortable(chunks, AbortSignal.any([signal, uploadFailed.signal]))) {
          if (!upload.write(chunk)) await Promise.race([once(upload, 'drain'), done]);
        }
        upload.end();
        await done;
      } catch (e) {
        // `errored` is set synchronously when the upload fails, so it tells the upload's own
        // failure apart from an error thrown by `chunks`, which passes on unchanged.
        const uploadError = upload.errored;
        if (!upload.destroyed) upload.destroy(e instanceof Error ? e : new Error('blob source failed'));
        if (signal.aborted) throw blobDeadline();
        if (uploadError === null) throw e;
        throw mapGcsError(uploadError, where);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },

    async *read(target, signal) {
      if (signal.aborted) throw blobDeadline();
      const where = `gs://${target.bucket}/${target.path}`;
      const download = (await fileFor(target)).createReadStream({ validation: 'crc32c' });
      const onAbort = () => download.destroy(blobDeadline());
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        for await (const chunk of download) yield chunk as Buffer;
      } catch (e) {
        if (signal.aborted) throw blobDeadline();
        throw mapGcsError(e, where);
      } finally {
        signal.removeEventListener('abort', onAbort);
        download.destroy();
      }
    },

    async describe(target, signal) {
      if (signal.aborted) throw blobDeadline();
      try {
        const [m] = await (await fileFor(target)).getMetadata();
        // The JSON API object resource (https://cloud.google.com/storage/docs/json_api/v1/objects):
        // a new generation for every new content, md5Hash of the bytes (absent for composites).
        return { generation: String(m.generation ?? ''), md5Hash: m.md5Hash ?? '', size: String(m.size ?? ''), etag: m.etag ?? '' };
      } catch (e) {
        if (signal.aborted) throw blobDeadline();
        throw mapGcsError(e, `gs://${target.bucket}/${target.path}`);
      }
    },
  };
}

function checkTarget(target: TargetOf<'gcs'>): void {
  if (!BUCKET_NAME.test(target.bucket)) {
    throw invalidArgument('BLOB-gcs-bucket', 'bucket is not a valid GCS bucket name');
  }
  // Object names: 1-1024 bytes of UTF-8, no CR/LF, not "." or ".."
  // (https://cloud.google.com/storage/docs/objects#naming).
  const bytes = Buffer.byteLength(target.path);
  if (bytes === 0 || bytes > 1024 || /[\r\n\0]/.test(target.path) || target.path === '.' || target.path === '..') {
    throw invalidArgument('BLOB-gcs-path', 'path is not a valid GCS object name');
  }
}
