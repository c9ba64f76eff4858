/**
 * An in-memory server for the part of the GCS JSON API that @google-cloud/storage uses: buckets,
 * objects, media/multipart/resumable uploads and `alt=media` downloads with `x-goog-hash`.
 * It exists because no GCS emulator runs offline here (stack-notes.md §5).
 *
 * With `STORAGE_EMULATOR_HOST` the SDK drops the `/storage/v1` prefix from API paths but keeps
 * `/upload/storage/v1` for uploads, so both spellings are accepted.
 *
 * Test-only control endpoints (never counted as API requests):
 * - `POST /_emulator/fail-next?count=N&status=503`: the next N API requests answer `status`.
 * - `POST /_emulator/corrupt-next?count=N`: the next N downloads flip one byte of the body but
 *   keep the true `x-goog-hash`, to show that clients really check it.
 * - `POST /_emulator/cut?transfer=upload|download&afterBytes=N&mode=drop|503&count=K`: the next
 *   K uploads (or downloads) are cut after N bytes of their body, by dropping the connection or
 *   (uploads) answering 503; see faults.ts.
 * - `POST /_emulator/reset`: forget every bucket, object, session and injected failure.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { cutDownload, parseCut } from './faults.js';
import { baseUrlOf, intParam, notFound, readBody, sendEmpty, sendError, sendJson } from './http.js';
import { bucketJson, EmulatorState, objectJson, type StoredBucket, type StoredObject } from './store.js';
import { handleUpload } from './uploads.js';

export function createGcsEmulatorServer(): Server {
  const state = new EmulatorState();
  return createServer((req, res) => {
    handle(state, req, res).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'internalError', e instanceof Error ? e.message : String(e));
      else res.destroy();
    });
  });
}

async function handle(state: EmulatorState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  // Matching happens on the raw path: object names arrive percent-encoded and may hold `%2F`.
  const path = url.pathname;

  if (path.startsWith('/_emulator/')) return control(state, req, res, url);

  if (state.failNext.count > 0) {
    state.failNext.count--;
    // Read the body first so the client sees our status, not a reset connection mid-upload.
    await readBody(req);
    return sendError(res, state.failNext.status, 'backendError', 'injected failure (/_emulator/fail-next)');
  }

  const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
  if (upload) return handleUpload(state, req, res, url, decodeURIComponent(upload[1]!));

  const apiPath = path.replace(/^\/(download\/)?storage\/v1(?=\/)/, '');
  const m = /^\/b(?:\/([^/]+)(?:\/o(?:\/(.+))?)?)?$/.exec(apiPath);
  if (!m) return sendError(res, 404, 'notFound', `Unsupported path: ${req.method} ${path}`);
  const [, bucketName, objectName] = m;
  const hasObjectSegment = /^\/b\/[^/]+\/o/.test(apiPath);

  if (bucketName === undefined) return buckets(state, req, res);
  const bucket = state.buckets.get(decodeURIComponent(bucketName));
  if (bucket === undefined) {
    await readBody(req);
    return notFound(res, `The specified bucket does not exist: ${decodeURIComponent(bucketName)}`);
  }
  if (!hasObjectSegment) return bucketItem(state, req, res, bucket);
  if (objectName === undefined) return listObjects(req, res, url, bucket);
  return objectItem(state, req, res, url, bucket, decodeURIComponent(objectName));
}

async function control(state: EmulatorState, req: IncomingMessage, res: ServerResponse, url: URL) {
  await readBody(req);
  if (req.method === 'POST' && url.pathname === '/_emulator/reset') {
    state.reset();
    return sendJson(res, 200, { reset: true });
  }
  if (req.method === 'POST' && url.pathname === '/_emulator/fail-next') {
    const count = intParam(url, 'count') ?? 1;
    const status = intParam(url, 'status') ?? 503;
    if (count === null || status === null || status < 400 || status > 599) {
      return sendError(res, 400, 'invalid', 'count must be an integer, status an HTTP error code');
    }
    state.failNext = { count, status };
    return sendJson(res, 200, state.failNext);
  }
  if (req.method === 'POST' && url.pathname === '/_emulator/corrupt-next') {
    const count = intParam(url, 'count') ?? 1;
    if (count === null) return sendError(res, 400, 'invalid', 'count must be an integer');
    state.corruptNext = count;
    return sendJson(res, 200, { count });
  }
  if (req.method === 'POST' && url.pathname === '/_emulator/cut') {
    const parsed = parseCut(url);
    if (typeof parsed === 'string') return sendError(res, 400, 'invalid', parsed);
    state.cut[parsed.transfer] = parsed.cut;
    return sendJson(res, 200, parsed);
  }
  if (req.method === 'GET' && url.pathname === '/_emulator/health') return sendJson(res, 200, { ok: true });
  return sendError(res, 404, 'notFound', `Unknown control endpoint: ${url.pathname}`);
}

async function buckets(state: EmulatorState, req: IncomingMessage, res: ServerResponse) {
  const body = await readBody(req);
  if (body === undefined) return;
  if (req.method === 'GET') {
    const items = [...state.buckets.values()].sort((a, b) => a.name.localeCompare(b.name)).map(bucketJson);
    return sendJson(res, 200, { kind: 'storage#buckets', items });
  }
  if (req.method !== 'POST') return sendError(res, 405, 'methodNotAllowed', `${req.method} /b`);
  let name: unknown;
  try {
    name = (JSON.parse(body.toString('utf8')) as { name?: unknown }).name;
  } catch {
    return sendError(res, 400, 'parseError', 'bucket resource is not JSON');
  }
  if (typeof name !== 'string' || name === '') return sendError(res, 400, 'required', 'bucket name is required');
  if (state.buckets.has(name)) {
    const message = 'Your previous request to create the named bucket succeeded and you already own it.';
    return sendError(res, 409, 'conflict', message);
  }
  return sendJson(res, 200, bucketJson(state.createBucket(name)));
}

async function bucketItem(state: EmulatorState, req: IncomingMessage, res: ServerResponse, bucket: StoredBucket) {
  if ((await readBody(req)) === undefined) return;
  if (req.method === 'GET') return sendJson(res, 200, bucketJson(bucket));
  if (req.method === 'DELETE') {
    if (bucket.objects.size > 0) return sendError(res, 409, 'conflict', 'The bucket you tried to delete is not empty.');
    state.buckets.delete(bucket.name);
    return sendEmpty(res, 204);
  }
  return sendError(res, 405, 'methodNotAllowed', `${req.method} on a bucket`);
}

async function listObjects(req: IncomingMessage, res: ServerResponse, url: URL, bucket: StoredBucket) {
  if ((await readBody(req)) === undefined) return;
  if (req.method !== 'GET') return sendError(res, 405, 'methodNotAllowed', `${req.method} on an object list`);
  const prefix = url.searchParams.get('prefix') ?? '';
  const delimiter = url.searchParams.get('delimiter') ?? '';
  const maxResults = intParam(url, 'maxResults') || Infinity;
  const after = url.searchParams.get('pageToken') ?? '';

  const names = [...bucket.objects.keys()].filter((n) => n.startsWith(prefix) && n > after).sort();
  const items: StoredObject[] = [];
  const prefixes = new Set<string>();
  let nextPageToken: string | undefined;
  for (const name of names) {
    if (items.length + prefixes.size >= maxResults) {
      nextPageToken = items.at(-1)?.name;
      break;
    }
    const cut = delimiter === '' ? -1 : name.indexOf(delimiter, prefix.length);
    if (cut === -1) items.push(bucket.objects.get(name)!);
    else prefixes.add(name.slice(0, cut + delimiter.length));
  }
  return sendJson(res, 200, {
    kind: 'storage#objects',
    items: items.map((o) => objectJson(o, baseUrlOf(req))),
    ...(prefixes.size > 0 ? { prefixes: [...prefixes] } : {}),
    ...(nextPageToken === undefined ? {} : { nextPageToken }),
  });
}

async function objectItem(state: EmulatorState, req: IncomingMessage, res: ServerResponse, url: URL, bucket: StoredBucket, name: string) {
  if ((await readBody(req)) === undefined) return;
  const object = bucket.objects.get(name);
  if (object === undefined) return notFound(res, `No such object: ${bucket.name}/${name}`);
  if (req.method === 'DELETE') {
    bucket.objects.delete(name);
    return sendEmpty(res, 204);
  }
  if (req.method !== 'GET') return sendError(res, 405, 'methodNotAllowed', `${req.method} on an object`);
  if (url.searchParams.get('alt') !== 'media') return sendJson(res, 200, objectJson(object, baseUrlOf(req)));
  let body = object.data;
  if (state.corruptNext > 0 && body.length > 0) {
    state.corruptNext--;
    body = Buffer.from(body);
    body[0] = body[0]! ^ 0xff;
  }
  return download(state, req, res, object, body);
}

function download(state: EmulatorState, req: IncomingMessage, res: ServerResponse, object: StoredObject, body: Buffer): void {
  const headers: Record<string, string | number> = {
    'Content-Type': object.contentType,
    // The SDK validates the body against these, but only when the stored encoding is declared.
    'x-goog-hash': `crc32c=${object.crc32c},md5=${object.md5Hash}`,
    'x-goog-stored-content-encoding': 'identity',
    'x-goog-stored-content-length': object.data.length,
    'x-goog-generation': object.generation,
    'x-goog-metageneration': 1,
    ETag: `"${object.md5Hash}"`,
  };
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (range && (range[1] !== '' || range[2] !== '')) {
    const size = object.data.length;
    // `bytes=-N` is the last N bytes; `bytes=A-` runs to the end.
    const start = range[1] === '' ? Math.max(0, size - Number(range[2])) : Number(range[1]);
    const end = range[1] === '' || range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
    if (start >= size || start > end) {
      sendError(res, 416, 'requestedRangeNotSatisfiable', 'bad Range');
      return;
    }
    const slice = body.subarray(start, end + 1);
    const contentRange = `bytes ${start}-${end}/${size}`;
    res.writeHead(206, { ...headers, 'Content-Length': slice.length, 'Content-Range': contentRange });
    res.end(slice);
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': body.length });
  if (!cutDownload(state, res, body)) res.end(body);
}
