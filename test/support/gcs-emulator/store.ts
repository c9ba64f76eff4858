/**
 * The emulator's in-memory state and the JSON shapes the GCS JSON API returns for it. Only the
 * fields @google-cloud/storage reads are filled in (see stack-notes.md Appendix).
 */
import { createHash, randomUUID } from 'node:crypto';
import { crc32cBase64, crc32cUpdate } from './crc32c.js';

export interface StoredObject {
  readonly bucket: string;
  readonly name: string;
  readonly data: Buffer;
  readonly contentType: string;
  readonly metadata: Record<string, string> | undefined;
  readonly generation: number;
  readonly md5Hash: string;
  readonly crc32c: string;
  readonly created: string;
}

export interface StoredBucket {
  readonly name: string;
  readonly created: string;
  readonly objects: Map<string, StoredObject>;
}

/** A resumable upload in progress. Its bytes stay here, invisible, until the last chunk lands. */
export interface UploadSession {
  readonly id: string;
  readonly bucket: string;
  readonly name: string;
  readonly contentType: string;
  readonly metadata: Record<string, string> | undefined;
  readonly ifGenerationMatch: number | undefined;
  readonly chunks: Buffer[];
  size: number;
  /** Set once finalized, so a repeated final PUT or a status query answers 200. */
  result: StoredObject | undefined;
}

export interface ObjectInit {
  bucket: StoredBucket;
  name: string;
  data: Buffer;
  contentType: string;
  metadata: Record<string, string> | undefined;
}

/**
 * A transfer cut off after `afterBytes` of its body: `drop` closes the socket there (a network
 * failure), `503` stops reading and answers 503 (a store failing mid-upload; downloads can only
 * drop, their status is already sent).
 */
export interface TransferCut {
  afterBytes: number;
  mode: 'drop' | '503';
  count: number;
}

export class EmulatorState {
  readonly buckets = new Map<string, StoredBucket>();
  readonly sessions = new Map<string, UploadSession>();
  /** Injected failures: the next `count` API requests answer `status`. */
  failNext = { count: 0, status: 503 };
  /** Injected corruption: the next `corruptNext` downloads get one byte flipped. */
  corruptNext = 0;
  /** Injected mid-transfer faults (`/_emulator/cut`), until `count` transfers were cut. */
  cut: { upload: TransferCut | undefined; download: TransferCut | undefined } = { upload: undefined, download: undefined };
  // Generations only need to be unique and increasing; a counter makes them deterministic.
  private generation = 1_000;

  reset(): void {
    this.buckets.clear();
    this.sessions.clear();
    this.failNext = { count: 0, status: 503 };
    this.corruptNext = 0;
    this.cut = { upload: undefined, download: undefined };
  }

  createBucket(name: string): StoredBucket {
    const bucket = { name, created: new Date().toISOString(), objects: new Map<string, StoredObject>() };
    this.buckets.set(name, bucket);
    return bucket;
  }

  /** Makes an object visible: the only way bytes become readable. */
  putObject(init: ObjectInit): StoredObject {
    const object: StoredObject = {
      bucket: init.bucket.name,
      name: init.name,
      data: init.data,
      contentType: init.contentType,
      metadata: init.metadata,
      generation: ++this.generation,
      md5Hash: createHash('md5').update(init.data).digest('base64'),
      crc32c: crc32cBase64(crc32cUpdate(0, init.data)),
      created: new Date().toISOString(),
    };
    init.bucket.objects.set(init.name, object);
    return object;
  }

  openSession(init: Omit<UploadSession, 'id' | 'chunks' | 'size' | 'result'>): UploadSession {
    const session: UploadSession = { ...init, id: randomUUID(), chunks: [], size: 0, result: undefined };
    this.sessions.set(session.id, session);
    return session;
  }
}

export function bucketJson(bucket: StoredBucket) {
  return {
    kind: 'storage#bucket',
    id: bucket.name,
    name: bucket.name,
    projectNumber: '0',
    metageneration: '1',
    location: 'US',
    storageClass: 'STANDARD',
    etag: 'CAE=',
    timeCreated: bucket.created,
    updated: bucket.created,
  };
}

export function objectJson(object: StoredObject, baseUrl: string) {
  const encoded = encodeURIComponent(object.name);
  return {
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    selfLink: `${baseUrl}/storage/v1/b/${object.bucket}/o/${encoded}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${object.bucket}/o/${encoded}` + `?generation=${object.generation}&alt=media`,
    name: object.name,
    bucket: object.bucket,
    generation: String(object.generation),
    metageneration: '1',
    contentType: object.contentType,
    storageClass: 'STANDARD',
    size: String(object.data.length),
    md5Hash: object.md5Hash,
    crc32c: object.crc32c,
    etag: `"${object.md5Hash}"`,
    timeCreated: object.created,
    updated: object.created,
    ...(object.metadata === undefined ? {} : { metadata: object.metadata }),
  };
}
