/**
 * An in-memory server for the part of the S3 REST API that idport's adapter (and the tests'
 * own checks) use, with path-style addressing: buckets, PutObject, multipart uploads
 * (Create/UploadPart/Complete/Abort/ListMultipartUploads), GetObject, HeadObject,
 * ListObjectsV2, DeleteObject. Every request must carry a valid SigV4 signature for the one
 * configured key pair (sigv4.ts), and signed payload hashes are checked against the body, so
 * wrong-credential and integrity tests are real. s3rver was tried first: it accepted requests
 * signed with a wrong secret, and it has no fault injection.
 *
 * Test-only control endpoints (unsigned, never counted):
 * - `POST /_emulator/fault?op=UploadPart&after=1&count=1&mode=status&status=503` (see Fault);
 * - `GET /_emulator/state`: objects, pending multipart uploads and request counts as JSON;
 * - `POST /_emulator/reset`: forget everything and drop hanging requests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readBody } from '../gcs-emulator/http.js';
import { type Credentials, decodePayload, verifySignature } from './sigv4.js';
import { EmulatorState, type Fault, md5Hex, type StoredBucket, xmlEscape } from './store.js';

const MIN_PART_SIZE = 5 * 1024 * 1024;
const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function createS3EmulatorServer(credentials: Credentials): Server {
  const state = new EmulatorState();
  const hanging = new Set<Socket>();
  return createServer((req, res) => {
    handle(state, hanging, credentials, req, res).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, req, 500, 'InternalError', e instanceof Error ? e.message : String(e));
      else res.destroy();
    });
  });
}

interface Route {
  op: string;
  bucket: string | undefined;
  key: string | undefined;
  query: URLSearchParams;
}

function route(req: IncomingMessage): Route {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const [, rawBucket, ...rest] = url.pathname.split('/');
  const bucket = rawBucket ? decodeURIComponent(rawBucket) : undefined;
  const key = rest.length > 0 && rest.join('/') !== '' ? decodeURIComponent(rest.join('/')) : undefined;
  const q = url.searchParams;
  const method = req.method ?? 'GET';
  const op = (() => {
    if (bucket === undefined) return 'ListBuckets';
    if (key === undefined) {
      if (method === 'PUT') return 'CreateBucket';
      if (method === 'HEAD') return 'HeadBucket';
      if (method === 'DELETE') return 'DeleteBucket';
      if (method === 'GET') return q.has('uploads') ? 'ListMultipartUploads' : 'ListObjectsV2';
      return 'Unsupported';
    }
    if (method === 'PUT') return q.has('uploadId') ? 'UploadPart' : 'PutObject';
    if (method === 'POST')
      return q.has('uploads') ? 'CreateMultipartUpload' : q.has('uploadId') ? 'CompleteMultipartUpload' : 'Unsupported';
    if (method === 'DELETE') return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    if (method === 'GET') return 'GetObject';
    if (method === 'HEAD') return 'HeadObject';
    return 'Unsupported';
  })();
  return { op, bucket, key, query: q };
}

async function handle(state: EmulatorState, hanging: Set<Socket>, credentials: Credentials, req: IncomingMessage, res: ServerResponse) {
  if ((req.url ?? '').startsWith('/_emulator/')) return control(state, hanging, req, res);
  const r = route(req);
  const fault = state.faultFor(r.op);
  if (fault?.mode === 'reset') {
    req.socket.destroy();
    return;
  }
  if (fault?.mode === 'hang') {
    hanging.add(req.socket);
    req.socket.once('close', () => hanging.delete(req.socket));
    return;
  }
  if (fault?.mode === 'status') {
    // Read the body first so the client sees our status, not a reset connection mid-upload.
    await readBody(req);
    const code = fault.status === 503 ? 'ServiceUnavailable' : fault.status === 500 ? 'InternalError' : 'InjectedFault';
    return sendError(res, req, fault.status, code, 'injected failure (/_emulator/fault)');
  }
  const refused = verifySignature(req, credentials);
  if (refused) {
    await readBody(req);
    return sendError(res, req, refused.status, refused.code, refused.message, refused.extra);
  }
  const raw = await readBody(req);
  // The client went away mid-request: nothing happened (an aborted upload never becomes an object).
  if (raw === undefined) return;
  const payload = decodePayload(String(req.headers['x-amz-content-sha256']), raw);
  if ('status' in payload) return sendError(res, req, payload.status, payload.code, payload.message);
  return dispatch(state, r, req, res, payload.data, fault);
}

function dispatch(state: EmulatorState, r: Route, req: IncomingMessage, res: ServerResponse, body: Buffer, fault: Fault | undefined) {
  if (r.op === 'CreateBucket') {
    if (state.buckets.has(r.bucket!))
      return sendError(res, req, 409, 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded.');
    state.createBucket(r.bucket!);
    return send(res, 200, '', { Location: `/${r.bucket}` });
  }
  if (r.op === 'ListBuckets' || r.op === 'Unsupported')
    return sendError(res, req, 501, 'NotImplemented', `${req.method} ${req.url} is not implemented`);
  const bucket = state.buckets.get(r.bucket!);
  if (bucket === undefined) return sendError(res, req, 404, 'NoSuchBucket', 'The specified bucket does not exist');
  const key = r.key!;
  const contentType = String(req.headers['content-type'] ?? 'binary/octet-stream');
  switch (r.op) {
    case 'HeadBucket':
      return send(res, 200, '');
    case 'DeleteBucket':
      if (bucket.objects.size > 0) return sendError(res, req, 409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty');
      state.buckets.delete(bucket.name);
      return send(res, 204, '');
    case 'ListObjectsV2':
      return listObjects(res, bucket, r.query.get('prefix') ?? '');
    case 'ListMultipartUploads':
      return listUploads(res, bucket);
    case 'PutObject': {
      const etag = `"${md5Hex(body)}"`;
      bucket.objects.set(key, { data: body, etag, contentType, lastModified: new Date() });
      return send(res, 200, '', { ETag: etag });
    }
    case 'CreateMultipartUpload': {
      const upload = state.startUpload(bucket, key, contentType);
      const xml = `<InitiateMultipartUploadResult xmlns="${XMLNS}"><Bucket>${xmlEscape(bucket.name)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${upload.uploadId}</UploadId></InitiateMultipartUploadResult>`;
      return sendXml(res, 200, xml);
    }
    case 'UploadPart': {
      const upload = bucket.uploads.get(r.query.get('uploadId') ?? '');
      if (upload === undefined || upload.key !== key)
        return sendError(res, req, 404, 'NoSuchUpload', 'The specified upload does not exist.');
      const partNumber = Number(r.query.get('partNumber'));
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000)
        return sendError(res, req, 400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000');
      const etag = `"${md5Hex(body)}"`;
      upload.parts.set(partNumber, { data: body, etag });
      return send(res, 200, '', { ETag: etag });
    }
    case 'CompleteMultipartUpload':
      return complete(req, res, bucket, key, r.query.get('uploadId') ?? '', body);
    case 'AbortMultipartUpload': {
      const uploadId = r.query.get('uploadId') ?? '';
      if (!bucket.uploads.has(uploadId)) return sendError(res, req, 404, 'NoSuchUpload', 'The specified upload does not exist.');
      bucket.uploads.delete(uploadId);
      return send(res, 204, '');
    }
    case 'DeleteObject':
      bucket.objects.delete(key);
      return send(res, 204, '');
    case 'GetObject':
    case 'HeadObject': {
      const object = bucket.objects.get(key);
      if (object === undefined) return sendError(res, req, 404, 'NoSuchKey', 'The specified key does not exist.');
      const headers = {
        'Content-Type': object.contentType,
        'Content-Length': String(object.data.length),
        ETag: object.etag,
        'Last-Modified': object.lastModified.toUTCString(),
      };
      if (r.op === 'HeadObject') return send(res, 200, '', headers);
      res.writeHead(200, headers);
      if (fault?.mode === 'truncate') {
        res.write(object.data.subarray(0, Math.floor(object.data.length / 2)));
        // Let the half go out, then cut the connection the way a failing store would.
        setImmediate(() => req.socket.destroy());
        return;
      }
      return res.end(object.data);
    }
  }
  return sendError(res, req, 501, 'NotImplemented', `${r.op} is not implemented`);
}

function complete(req: IncomingMessage, res: ServerResponse, bucket: StoredBucket, key: string, uploadId: string, body: Buffer) {
  const upload = bucket.uploads.get(uploadId);
  if (upload === undefined || upload.key !== key) return sendError(res, req, 404, 'NoSuchUpload', 'The specified upload does not exist.');
  const listed = [...body.toString('utf8').matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
    partNumber: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1]!)?.[1]),
    etag: /<ETag>([^<]*)<\/ETag>/.exec(m[1]!)?.[1]?.replace(/&quot;/g, '"') ?? '',
  }));
  if (listed.length === 0) return sendError(res, req, 400, 'MalformedXML', 'The XML you provided was not well-formed.');
  const parts = [];
  for (const [i, p] of listed.entries()) {
    if (i > 0 && p.partNumber <= listed[i - 1]!.partNumber)
      return sendError(res, req, 400, 'InvalidPartOrder', 'The list of parts was not in ascending order.');
    const stored = upload.parts.get(p.partNumber);
    if (stored === undefined || stored.etag !== p.etag)
      return sendError(res, req, 400, 'InvalidPart', 'One or more of the specified parts could not be found.');
    // S3's rule: every part but the last holds at least 5 MiB.
    if (i < listed.length - 1 && stored.data.length < MIN_PART_SIZE)
      return sendError(res, req, 400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.');
    parts.push(stored);
  }
  const data = Buffer.concat(parts.map((p) => p.data));
  const etag = `"${md5Hex(Buffer.concat(parts.map((p) => Buffer.from(p.etag.slice(1, -1), 'hex'))))}-${parts.length}"`;
  bucket.objects.set(key, { data, etag, contentType: upload.contentType, lastModified: new Date() });
  bucket.uploads.delete(uploadId);
  const xml = `<CompleteMultipartUploadResult xmlns="${XMLNS}"><Location>/${xmlEscape(bucket.name)}/${xmlEscape(key)}</Location><Bucket>${xmlEscape(bucket.name)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(etag)}</ETag></CompleteMultipartUploadResult>`;
  return sendXml(res, 200, xml);
}

function listObjects(res: ServerResponse, bucket: StoredBucket, prefix: string) {
  const keys = [...bucket.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  const contents = keys
    .map((k) => {
      const o = bucket.objects.get(k)!;
      return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.data.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    })
    .join('');
  const xml = `<ListBucketResult xmlns="${XMLNS}"><Name>${xmlEscape(bucket.name)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`;
  return sendXml(res, 200, xml);
}

function listUploads(res: ServerResponse, bucket: StoredBucket) {
  const uploads = [...bucket.uploads.values()]
    .map(
      (u) =>
        `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${u.uploadId}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated></Upload>`,
    )
    .join('');
  const xml = `<ListMultipartUploadsResult xmlns="${XMLNS}"><Bucket>${xmlEscape(bucket.name)}</Bucket><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads}</ListMultipartUploadsResult>`;
  return sendXml(res, 200, xml);
}

async function control(state: EmulatorState, hanging: Set<Socket>, req: IncomingMessage, res: ServerResponse) {
  await readBody(req);
  const url = new URL(req.url ?? '/', 'http://emulator');
  const json = (status: number, body: unknown) => send(res, status, JSON.stringify(body), { 'Content-Type': 'application/json' });
  if (req.method === 'POST' && url.pathname === '/_emulator/reset') {
    state.reset();
    for (const socket of hanging) socket.destroy();
    hanging.clear();
    return json(200, { reset: true });
  }
  if (req.method === 'GET' && url.pathname === '/_emulator/state') return json(200, state.snapshot());
  if (req.method === 'POST' && url.pathname === '/_emulator/fault') {
    const int = (name: string, fallback: number) => {
      const raw = url.searchParams.get(name);
      return raw === null ? fallback : /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    };
    const mode = url.searchParams.get('mode') ?? 'status';
    const fault: Fault = {
      op: url.searchParams.get('op') ?? '*',
      after: int('after', 0),
      count: int('count', 1),
      mode: mode as Fault['mode'],
      status: int('status', 503),
    };
    if (![fault.after, fault.count, fault.status].every(Number.isFinite) || !['status', 'reset', 'hang', 'truncate'].includes(mode)) {
      return json(400, { error: 'after, count and status are integers; mode is status, reset, hang or truncate' });
    }
    state.faults.push(fault);
    return json(200, fault);
  }
  return json(404, { error: `unknown control endpoint ${url.pathname}` });
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Length': String(Buffer.byteLength(body)), 'x-amz-request-id': 'emulator', ...headers });
  res.end(body);
}

const sendXml = (res: ServerResponse, status: number, xml: string) =>
  send(res, status, `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`, { 'Content-Type': 'application/xml' });

/** S3's error envelope; HEAD answers carry no body, as in S3. */
function sendError(
  res: ServerResponse,
  req: IncomingMessage,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
) {
  if (req.method === 'HEAD') return send(res, status, '');
  const fields = Object.entries(extra)
    .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
    .join('');
  const xml = `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${fields}<Resource>${xmlEscape(req.url ?? '')}</Resource><RequestId>emulator</RequestId></Error>`;
  return sendXml(res, status, xml);
}
