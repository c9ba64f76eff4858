/** In-memory buckets, objects, multipart uploads and injected faults of the S3 emulator. */
import { createHash, randomUUID } from 'node:crypto';

export interface StoredObject {
  data: Buffer;
  etag: string;
  contentType: string;
  lastModified: Date;
}

export interface PendingUpload {
  key: string;
  uploadId: string;
  contentType: string;
  initiated: Date;
  parts: Map<number, { data: Buffer; etag: string }>;
}

export interface StoredBucket {
  name: string;
  objects: Map<string, StoredObject>;
  uploads: Map<string, PendingUpload>;
}

/**
 * A fault for requests of one operation (`*` = any): the first `after` matching requests pass,
 * the next `count` fail by `mode`: `status` answers an S3 error with that HTTP status, `reset`
 * destroys the connection before reading the body, `hang` never answers, `truncate` (GetObject)
 * sends half the body and then cuts the connection.
 */
export interface Fault {
  op: string;
  after: number;
  count: number;
  mode: 'status' | 'reset' | 'hang' | 'truncate';
  status: number;
}

export const md5Hex = (data: Buffer) => createHash('md5').update(data).digest('hex');

export class EmulatorState {
  buckets = new Map<string, StoredBucket>();
  faults: Fault[] = [];
  /** Requests per operation since the last reset, faults and refusals included. */
  requests = new Map<string, number>();

  reset(): void {
    this.buckets.clear();
    this.faults = [];
    this.requests.clear();
  }

  createBucket(name: string): StoredBucket {
    const bucket = { name, objects: new Map(), uploads: new Map() };
    this.buckets.set(name, bucket);
    return bucket;
  }

  /** Counts the request and returns the fault it falls under, if any (consuming one of its count). */
  faultFor(op: string): Fault | undefined {
    this.requests.set(op, (this.requests.get(op) ?? 0) + 1);
    const fault = this.faults.find((f) => (f.op === op || f.op === '*') && f.count > 0);
    if (fault === undefined) return undefined;
    if (fault.after > 0) {
      fault.after--;
      return undefined;
    }
    fault.count--;
    return fault;
  }

  startUpload(bucket: StoredBucket, key: string, contentType: string): PendingUpload {
    const upload = { key, uploadId: randomUUID().replace(/-/g, ''), contentType, initiated: new Date(), parts: new Map() };
    bucket.uploads.set(upload.uploadId, upload);
    return upload;
  }

  /** What tests look at: object sizes, pending uploads and request counts. */
  snapshot() {
    return {
      buckets: Object.fromEntries(
        [...this.buckets.values()].map((b) => [
          b.name,
          {
            objects: Object.fromEntries([...b.objects].map(([key, o]) => [key, o.data.length])),
            uploads: [...b.uploads.values()].map((u) => ({ key: u.key, uploadId: u.uploadId, parts: [...u.parts.keys()] })),
          },
        ]),
      ),
      requests: Object.fromEntries(this.requests),
    };
  }
}

export const xmlEscape = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
