/**
 * The three upload protocols of the JSON API (media, multipart, resumable) as
 * https://cloud.google.com/storage/docs/uploads-downloads describes them. An object is stored
 * only once all its bytes have arrived; a session whose last chunk never came leaves nothing.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { crc32cBase64, crc32cUpdate } from './crc32c.js';
import { readUploadBody } from './faults.js';
import { baseUrlOf, intParam, notFound, sendEmpty, sendError, sendJson } from './http.js';
import { type EmulatorState, objectJson, type StoredBucket, type UploadSession } from './store.js';

interface ObjectResource {
  name?: unknown;
  contentType?: unknown;
  metadata?: unknown;
}

export async function handleUpload(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  bucketName: string,
): Promise<void> {
  const uploadId = url.searchParams.get('upload_id');
  if (uploadId !== null) {
    const session = state.sessions.get(uploadId);
    if (session === undefined) return notFound(res, `No such upload session: ${uploadId}`);
    if (req.method === 'PUT') return putChunk(state, req, res, session);
    if (req.method === 'DELETE') {
      state.sessions.delete(uploadId);
      // 499 is what GCS answers to a cancelled session.
      return sendEmpty(res, 499);
    }
    return sendError(res, 405, 'methodNotAllowed', `${req.method} on an upload session`);
  }
  if (req.method !== 'POST') return sendError(res, 405, 'methodNotAllowed', `${req.method} on the upload path`);

  const bucket = state.buckets.get(bucketName);
  const body = await readUploadBody(state, req, res);
  if (body === undefined) return;
  if (bucket === undefined) return notFound(res, `The specified bucket does not exist: ${bucketName}`);
  const ifGenerationMatch = intParam(url, 'ifGenerationMatch');
  if (ifGenerationMatch === null) return sendError(res, 400, 'invalid', 'ifGenerationMatch must be an integer');

  switch (url.searchParams.get('uploadType')) {
    case 'media': {
      const name = url.searchParams.get('name');
      if (!name) return sendError(res, 400, 'required', 'name is required');
      const contentType = req.headers['content-type'] ?? 'application/octet-stream';
      store(state, req, res, { bucket, name, data: body, contentType, metadata: undefined, ifGenerationMatch });
      return;
    }
    case 'multipart': {
      const parsed = parseMultipart(body, req.headers['content-type'] ?? '');
      if (parsed === undefined) return sendError(res, 400, 'invalid', 'malformed multipart/related body');
      const name = url.searchParams.get('name') ?? stringOrUndefined(parsed.resource.name);
      if (!name) return sendError(res, 400, 'required', 'name is required');
      const contentType = stringOrUndefined(parsed.resource.contentType) ?? parsed.dataType ?? 'application/octet-stream';
      const metadata = stringMap(parsed.resource.metadata);
      store(state, req, res, { bucket, name, data: parsed.data, contentType, metadata, ifGenerationMatch });
      return;
    }
    case 'resumable': {
      let resource: ObjectResource = {};
      try {
        if (body.length > 0) resource = JSON.parse(body.toString('utf8')) as ObjectResource;
      } catch {
        return sendError(res, 400, 'parseError', 'session metadata is not JSON');
      }
      const name = url.searchParams.get('name') ?? stringOrUndefined(resource.name);
      if (!name) return sendError(res, 400, 'required', 'name is required');
      const headerType = req.headers['x-upload-content-type'];
      const contentType =
        (typeof headerType === 'string' ? headerType : undefined) ?? stringOrUndefined(resource.contentType) ?? 'application/octet-stream';
      const session = state.openSession({
        bucket: bucket.name,
        name,
        contentType,
        metadata: stringMap(resource.metadata),
        ifGenerationMatch,
      });
      const query = new URLSearchParams({ uploadType: 'resumable', name, upload_id: session.id });
      const location = `${baseUrlOf(req)}/upload/storage/v1/b/${encodeURIComponent(bucket.name)}/o?${query}`;
      return sendEmpty(res, 200, { Location: location });
    }
    default:
      return sendError(res, 400, 'invalid', 'uploadType must be media, multipart or resumable');
  }
}

type ContentRange = { kind: 'status'; total: number | '*' } | { kind: 'bytes'; start: number; end: number | '*'; total: number | '*' };

// Forms the SDK sends: `bytes a-b/*` (a middle chunk), `bytes a-b/N` (the last chunk),
// `bytes a-*/*` or `bytes a-*/N` (one request streaming everything left), `bytes */*` (status query).
function parseContentRange(header: string | undefined): ContentRange | undefined {
  if (header === undefined) return undefined;
  const status = /^bytes \*\/(\d+|\*)$/.exec(header);
  if (status) return { kind: 'status', total: status[1] === '*' ? '*' : Number(status[1]) };
  const m = /^bytes (\d+)-(-?\d+|\*)\/(\d+|\*)$/.exec(header);
  if (!m) return undefined;
  return {
    kind: 'bytes',
    start: Number(m[1]),
    end: m[2] === '*' ? '*' : Number(m[2]),
    total: m[3] === '*' ? '*' : Number(m[3]),
  };
}

async function putChunk(state: EmulatorState, req: IncomingMessage, res: ServerResponse, session: UploadSession) {
  const body = await readUploadBody(state, req, res);
  // A chunk cut off mid-way is dropped whole; the client learns the real offset from `Range`.
  if (body === undefined) return;
  if (session.result !== undefined) return sendJson(res, 200, objectJson(session.result, baseUrlOf(req)));

  const range = parseContentRange(req.headers['content-range']);
  if (range === undefined) return sendError(res, 400, 'invalid', 'missing or malformed Content-Range');
  let final: boolean;
  if (range.kind === 'status') {
    final = range.total === session.size;
  } else {
    if (range.start > session.size) {
      const message = `chunk starts at ${range.start}, but only ${session.size} bytes were received`;
      return sendError(res, 400, 'invalid', message);
    }
    // Bytes the client re-sent after a retry are already here.
    const fresh = body.subarray(session.size - range.start);
    session.chunks.push(fresh);
    session.size += fresh.length;
    if (range.total === '*') {
      final = range.end === '*';
    } else if (session.size > range.total) {
      return sendError(res, 400, 'invalid', `received ${session.size} bytes, more than the declared ${range.total}`);
    } else {
      final = session.size === range.total;
    }
  }
  if (!final) return sendEmpty(res, 308, session.size > 0 ? { Range: `bytes=0-${session.size - 1}` } : {});

  const bucket = state.buckets.get(session.bucket);
  if (bucket === undefined) return notFound(res, `The specified bucket does not exist: ${session.bucket}`);
  const stored = store(state, req, res, {
    bucket,
    name: session.name,
    data: Buffer.concat(session.chunks),
    contentType: session.contentType,
    metadata: session.metadata,
    ifGenerationMatch: session.ifGenerationMatch,
  });
  if (stored !== undefined) {
    session.result = stored;
    session.chunks.length = 0;
  }
}

interface StoreRequest {
  bucket: StoredBucket;
  name: string;
  data: Buffer;
  contentType: string;
  metadata: Record<string, string> | undefined;
  ifGenerationMatch: number | undefined;
}

function store(state: EmulatorState, req: IncomingMessage, res: ServerResponse, r: StoreRequest) {
  const current = r.bucket.objects.get(r.name)?.generation ?? 0;
  if (r.ifGenerationMatch !== undefined && r.ifGenerationMatch !== current) {
    sendError(res, 412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
    return undefined;
  }
  const mismatch = checkClientHashes(req.headers['x-goog-hash'], r.data);
  if (mismatch !== undefined) {
    sendError(res, 400, 'invalid', mismatch);
    return undefined;
  }
  const { bucket, name, data, contentType, metadata } = r;
  const object = state.putObject({ bucket, name, data, contentType, metadata });
  sendJson(res, 200, objectJson(object, baseUrlOf(req)));
  return object;
}

/** GCS rejects an upload whose `X-Goog-Hash` disagrees with the bytes it received. */
function checkClientHashes(header: string | string[] | undefined, data: Buffer): string | undefined {
  if (typeof header !== 'string') return undefined;
  for (const pair of header.split(',')) {
    const at = pair.indexOf('=');
    const [type, value] = [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
    const actual =
      type === 'crc32c'
        ? crc32cBase64(crc32cUpdate(0, data))
        : type === 'md5'
          ? createHash('md5').update(data).digest('base64')
          : undefined;
    if (actual !== undefined && actual !== value) {
      return `${type} mismatch: client sent ${value}, server computed ${actual}`;
    }
  }
  return undefined;
}

/** multipart/related as the SDK sends it: part 1 the JSON resource, part 2 the bytes. */
function parseMultipart(body: Buffer, contentType: string) {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (boundary === undefined) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { type: string | undefined; content: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) return undefined;
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd === -1) return undefined;
    const headers = part.subarray(0, headerEnd).toString('utf8');
    let content = part.subarray(headerEnd + 4);
    if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
    parts.push({ type: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim(), content });
    at = next;
  }
  if (parts.length !== 2) return undefined;
  let resource: ObjectResource;
  try {
    resource = JSON.parse(parts[0]!.content.toString('utf8')) as ObjectResource;
  } catch {
    return undefined;
  }
  return { resource, data: Buffer.from(parts[1]!.content), dataType: parts[1]!.type };
}

const stringOrUndefined = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

function stringMap(v: unknown): Record<string, string> | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  return Object.fromEntries(Object.entries(v).map(([k, value]) => [k, String(value)]));
}
