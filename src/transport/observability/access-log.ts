import { randomUUID } from 'node:crypto';
import { Code } from '@connectrpc/connect';
import { codeFromHttpStatus, codeToString } from '@connectrpc/connect/protocol-connect';
import type { NodeServerRequest, NodeServerResponse } from '../node-types.js';
import { type CallRecord, type FinishedCall, type Protocol, runInCall } from './call-record.js';

type NodeHandler = (req: NodeServerRequest, res: NodeServerResponse) => void;

/** A client's own id is kept when it is a plain token of sane length; else we make one. */
const CLIENT_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;
/** gRPC/Connect paths are `/package.Service/Method`; REST paths have no dot in the first segment. */
const RPC_PATH = /^\/[A-Za-z_][\w]*(\.[\w]+)+\/[A-Za-z_]\w*$/;

export function requestIdOf(req: NodeServerRequest): string {
  const given = req.headers['x-request-id'];
  const id = Array.isArray(given) ? given[0] : given;
  return id !== undefined && CLIENT_REQUEST_ID.test(id) ? id : randomUUID();
}

export function protocolOf(req: NodeServerRequest, path: string): Protocol {
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith('application/grpc-web')) return 'grpc-web';
  if (type.startsWith('application/grpc')) return 'grpc';
  if (RPC_PATH.test(path)) return 'connect';
  return req.method === 'GET' || req.method === 'OPTIONS' || req.method === 'HEAD' ? 'http' : 'rest';
}

/**
 * Wraps the server's request handler so that every call, on every protocol, ends in exactly
 * one `onFinish`: the request id (the client's `X-Request-Id`, or a new UUID, echoed in the
 * response headers), protocol, method, code, duration, caller, error id and bytes each way.
 */
export function withAccessLog(handler: NodeHandler, onFinish: (call: FinishedCall) => void): NodeHandler {
  return (req, res) => {
    const started = process.hrtime.bigint();
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    const call: CallRecord = {
      requestId: requestIdOf(req),
      protocol: protocolOf(req, path),
      method: `${req.method ?? 'GET'} ${path}`,
      code: undefined,
      errorId: undefined,
      principalId: undefined,
      bytesIn: 0,
      bytesOut: 0,
    };
    res.setHeader('x-request-id', call.requestId);
    countBytes(req, res, call);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      onFinish({
        ...call,
        code: call.code ?? codeOfResponse(res),
        durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
    };
    // 'finish': the response went out whole; 'close' alone: the client left or the stream was cut.
    res.once('finish', finish);
    res.once('close', () => {
      call.code ??= res.writableFinished ? undefined : codeToString(Code.Canceled);
      finish();
    });
    runInCall(call, () => handler(req, res));
  };
}

/** The code of a response no interceptor saw (router-level errors, REST 404s, /metrics). */
function codeOfResponse(res: NodeServerResponse): string {
  const grpcStatus = res.getHeader('grpc-status');
  if (grpcStatus !== undefined) return codeToString(Number(grpcStatus) as Code) || 'ok';
  if (res.statusCode >= 200 && res.statusCode < 300) return 'ok';
  return codeToString(codeFromHttpStatus(res.statusCode));
}

/**
 * Counts body bytes without becoming a reader: the request's `push` is what Node's HTTP/1.1
 * parser and its HTTP/2 compatibility layer call for each body chunk, and `write`/`end` are
 * what connect-node and the REST gateway call to answer. A 'data' listener would instead switch
 * the request into flowing mode and take chunks from the real reader.
 */
function countBytes(req: NodeServerRequest, res: NodeServerResponse, call: CallRecord): void {
  const size = (chunk: unknown) =>
    typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk instanceof Uint8Array ? chunk.byteLength : 0;
  const push = req.push.bind(req);
  req.push = (chunk: unknown, encoding?: BufferEncoding) => {
    call.bytesIn += size(chunk);
    return push(chunk, encoding);
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  (res as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]) => {
    call.bytesOut += size(chunk);
    return write(chunk, ...rest);
  };
  const end = res.end.bind(res) as (...args: unknown[]) => unknown;
  (res as { end: unknown }).end = (chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'function') call.bytesOut += size(chunk);
    return end(chunk, ...rest);
  };
}
