/**
 * BlobStorage for `s3` targets (ZITADEL's S3Output/S3Input) on any S3-compatible store, through
 * @aws-sdk/client-s3 with @aws-sdk/lib-storage for multipart uploads. Like ZITADEL (minio-go's
 * `minio.New(endpoint, {Creds: NewStaticV4(id, secret, ""), Secure: ssl})`), the caller names
 * the endpoint and brings static credentials; idport only lets it use endpoints on the
 * IDPORT_S3_ENDPOINTS allow-list (s3-endpoint.ts). Every call builds its own client (the credentials
 * differ per request) and destroys it afterwards; credentials are never logged or kept.
 */
import { Readable } from 'node:stream';
import { invalidArgument } from '../domain/errors.js';
import { abortable, blobDeadline, raceAbort } from './abort.js';
import type { BlobStorageFor, TargetOf } from './blob-storage.js';
import type { S3AllowList } from './s3-endpoint.js';
import { mapS3Error } from './s3-errors.js';

export interface S3BlobStorageOptions {
  allowList: S3AllowList;
  /** Bytes per multipart part (S3's minimum is 5 MiB). Memory per upload ≈ (queueSize + 1) × partSize. */
  partSize?: number;
}

const MiB = 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * MiB;
/** Parts in flight at once: one uploading while the next fills keeps the pipe busy, memory bounded. */
const QUEUE_SIZE = 2;
/** Cleaning up after a failure (waiting for an upload id, AbortMultipartUpload) gets its own short deadline: the call's may be spent. */
const ABORT_TIMEOUT_MS = 5_000;

/** Loaded on the first S3 call: servers that never use S3 don't pay for the SDK. */
let sdk: Promise<[typeof import('@aws-sdk/client-s3'), typeof import('@aws-sdk/lib-storage')]> | undefined;
const loadSdk = () => (sdk ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]));

// Path-style addressing puts the bucket in the path, so it must be one path segment. Legacy
// us-east-1 buckets and some S3-compatible stores allow upper case and `_`, up to 255 characters
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
const BUCKET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/;

/** AWS's own endpoints name their region; anything else is signed for us-east-1 (MinIO's default). */
function regionOf(host: string): string {
  const m = /(?:^|\.)s3[.-](?:dualstack\.)?([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com$/.exec(host);
  return m?.[1] ?? 'us-east-1';
}

export function createS3BlobStorage(options: S3BlobStorageOptions): BlobStorageFor<'s3'> {
  const partSize = options.partSize ?? DEFAULT_PART_SIZE;
  if (partSize < 5 * MiB) throw new Error('S3 part size must be at least 5 MiB');

  /** Validates the target and returns the endpoint it may use; InvalidArgument otherwise. */
  const checked = (target: TargetOf<'s3'>) => {
    const endpoint = options.allowList.resolve(target.endpoint, target.ssl);
    checkNames(target);
    if (target.accessKeyId === '' || target.secretAccessKey === '') {
      throw invalidArgument('BLOB-s3-credentials', 'access_key_id and secret_access_key are required');
    }
    return endpoint;
  };

  const clientFor = async (target: TargetOf<'s3'>) => {
    const endpoint = checked(target);
    const [{ S3Client }] = await loadSdk();
    const client = new S3Client({
      endpoint: endpoint.url,
      region: regionOf(endpoint.host),
      forcePathStyle: true,
      followRegionRedirects: true,
      credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
      // Standard retries (3 attempts, backoff of ~0.1-0.2 s) turn a blip into a success and a
      // dead store into Unavailable within seconds.
      maxAttempts: 3,
      // Since SDK 3.729 the default adds CRC32 checksums (aws-chunked trailers) to every upload
      // (aws/aws-sdk-js-v3#6750), which several S3-compatible stores reject. Parts are buffers,
      // so SigV4's signed SHA-256 of each payload still protects every upload.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 5_000, socketTimeout: 60_000 },
    });
    const where = `s3://${endpoint.host}:${endpoint.port}/${target.bucket}/${target.path}`;
    const fail = (e: unknown) => mapS3Error(e, where, [target.secretAccessKey, target.accessKeyId]);
    return { client, fail };
  };

  return {
    check(target) {
      checked(target);
    },

    async write(target, chunks, signal) {
      if (signal.aborted) throw blobDeadline();
      const { client, fail } = await clientFor(target);
      const [{ AbortMultipartUploadCommand }, { Upload }] = await loadSdk();
      let sourceError: { error: unknown } | undefined;
      async function* source(): AsyncGenerator<Uint8Array> {
        try {
          yield* abortable(chunks, signal);
        } catch (e) {
          sourceError = { error: e };
          throw e;
        }
      }
      const stop = new AbortController();
      // lib-storage takes a Readable; highWaterMark 1 keeps its read-ahead to one chunk, so an
      // upload holds at most QUEUE_SIZE parts in flight, one filling, and one chunk.
      const upload = new Upload({
        client,
        params: {
          Bucket: target.bucket,
          Key: target.path,
          Body: Readable.from(source(), { highWaterMark: 1 }),
          ContentType: 'application/json',
        },
        partSize,
        queueSize: QUEUE_SIZE,
        // false: on any failure the upload sends AbortMultipartUpload, so S3 drops the parts.
        leavePartsOnError: false,
        abortController: stop,
      });
      // lib-storage sends its requests without our signal, so after an abort the SDK would
      // retry a request the destroyed client cut off. Per attempt (the deserialize step runs
      // inside the retry loop), refuse everything but the AbortMultipartUpload below. Once the
      // call has answered, refuse everything: lib-storage's own abort, sent when a hung part
      // finally fails, would otherwise reach the store after the caller heard the outcome.
      let answered = false;
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (answered || (stop.signal.aborted && context.commandName !== 'AbortMultipartUploadCommand')) throw blobDeadline();
          return next(args);
        },
        { step: 'deserialize', name: 'idportStopAfterAbort' },
      );
      // The upload id as soon as CreateMultipartUpload answers, also when that answer comes
      // after a deadline made `done()` reject (lib-storage then sets `uploadId` too late for us).
      let created: Promise<string | undefined> = Promise.resolve(undefined);
      client.middlewareStack.add(
        (next, context) => (args) => {
          const result = next(args);
          if (context.commandName === 'CreateMultipartUploadCommand') {
            created = result.then(
              (r) => (r.output as { UploadId?: string }).UploadId,
              () => undefined,
            );
          }
          return result;
        },
        { step: 'initialize', name: 'idportUploadId' },
      );
      const onAbort = () => stop.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        // An incomplete multipart upload is never an object: readers see nothing until
        // CompleteMultipartUpload, and a single PutObject (exports below one part) is atomic.
        await upload.done();
      } catch (e) {
        // lib-storage sends AbortMultipartUpload itself when a part fails, but on `abort()` it
        // rejects at once and aborts only once in-flight parts return. Abort here too, so no
        // parts outlive the call (a second abort of a gone upload is NoSuchUpload: ignored).
        const abortSignal = AbortSignal.timeout(ABORT_TIMEOUT_MS);
        const uploadId = upload.uploadId ?? (await raceAbort(created, abortSignal).catch(() => undefined));
        if (uploadId !== undefined) {
          const command = new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.path, UploadId: uploadId });
          await client.send(command, { abortSignal }).catch(() => undefined);
        }
        if (signal.aborted) throw blobDeadline();
        // An error from `chunks` belongs to the caller's producer: pass it on unchanged.
        if (sourceError !== undefined) throw sourceError.error;
        throw fail(e);
      } finally {
        answered = true;
        signal.removeEventListener('abort', onAbort);
        // Closes the sockets, also of a request still hanging on a stalled store.
        client.destroy();
      }
    },

    async *read(target, signal) {
      if (signal.aborted) throw blobDeadline();
      const { client, fail } = await clientFor(target);
      const [{ GetObjectCommand }] = await loadSdk();
      let body: Readable | undefined;
      const onAbort = () => body?.destroy(blobDeadline());
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const request = client.send(new GetObjectCommand({ Bucket: target.bucket, Key: target.path }), { abortSignal: signal });
        try {
          const response = await raceAbort(request, signal);
          body = response.Body as Readable;
        } catch (e) {
          if (signal.aborted) throw blobDeadline();
          throw fail(e);
        }
        try {
          for await (const chunk of body) yield chunk as Uint8Array;
        } catch (e) {
          if (signal.aborted) throw blobDeadline();
          throw fail(e);
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
        body?.destroy();
        client.destroy();
      }
    },

    async describe(target, signal) {
      if (signal.aborted) throw blobDeadline();
      const { client, fail } = await clientFor(target);
      const [{ HeadObjectCommand }] = await loadSdk();
      try {
        const head = await raceAbort(
          client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.path }), { abortSignal: signal }),
          signal,
        );
        // ETag changes with the content (an MD5, or a digest of the parts' MD5s for a multipart upload).
        return { etag: head.ETag ?? '', size: String(head.ContentLength ?? '') };
      } catch (e) {
        if (signal.aborted) throw blobDeadline();
        throw fail(e);
      } finally {
        client.destroy();
      }
    },
  };
}

function checkNames(target: TargetOf<'s3'>): void {
  if (!BUCKET_NAME.test(target.bucket)) throw invalidArgument('BLOB-s3-bucket', 'bucket is not a valid S3 bucket name');
  // Keys: 1-1024 bytes of UTF-8 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
  // Control characters and `.`/`..` segments are refused: path-style URLs would carry them into
  // the request path, where servers and proxies may reinterpret them.
  const bytes = Buffer.byteLength(target.path);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  const control = /[\u0000-\u001f\u007f]/.test(target.path);
  const dotSegment = target.path.split('/').some((segment) => segment === '.' || segment === '..');
  if (bytes === 0 || bytes > 1024 || control || dotSegment) {
    throw invalidArgument('BLOB-s3-path', 'path is not a valid S3 object key');
  }
}
