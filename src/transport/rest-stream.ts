import { Code, ConnectError } from '@connectrpc/connect';
import { createAsyncIterable, type UniversalHandler, type UniversalServerRequest } from '@connectrpc/connect/protocol';
import { codeToHttpStatus, errorFromJson } from '@connectrpc/connect/protocol-connect';
import { restDetails } from './interceptors/error-details.js';
import type { NodeServerResponse } from './node-types.js';

/**
 * A server-streaming method on its REST path, as grpc-gateway serves one: newline-delimited
 * JSON, each message as `{"result": …}`, a failure as `{"error": Status}`. A failure before the
 * first message gets its HTTP status; after it, the status is 200 already and only the line
 * tells. The request goes to the same Connect handler as the RPC, in Connect's streaming
 * protocol (enveloped JSON), so auth, interceptors and errors behave as on every protocol.
 */

const FLAG_END = 0x02;

function envelope(json: string): Uint8Array {
  const data = new TextEncoder().encode(json);
  const out = new Uint8Array(5 + data.length);
  new DataView(out.buffer).setUint32(1, data.length);
  out.set(data, 5);
  return out;
}

/** Splits Connect's enveloped frames out of the response body, as they arrive. */
async function* frames(body: AsyncIterable<Uint8Array>): AsyncGenerator<{ flags: number; data: Uint8Array }> {
  let buf = new Uint8Array(0);
  for await (const chunk of body) {
    const next = new Uint8Array(buf.length + chunk.length);
    next.set(buf);
    next.set(chunk, buf.length);
    buf = next;
    while (buf.length >= 5) {
      const len = new DataView(buf.buffer, buf.byteOffset).getUint32(1);
      if (buf.length < 5 + len) break;
      yield { flags: buf[0] ?? 0, data: buf.slice(5, 5 + len) };
      buf = buf.slice(5 + len);
    }
  }
}

const errorLine = (err: ConnectError) =>
  `${JSON.stringify({ error: { code: err.code, message: err.rawMessage, details: restDetails(err) } })}\n`;

export async function serveRestStream(
  handler: UniversalHandler,
  uReq: UniversalServerRequest,
  message: object,
  url: string,
  res: NodeServerResponse,
): Promise<void> {
  uReq.header.set('content-type', 'application/connect+json');
  const body = createAsyncIterable([envelope(JSON.stringify(message))]);
  const uRes = await handler({ ...uReq, method: 'POST', body, url });
  let started = false;
  const start = (status: number) => {
    if (started) return;
    started = true;
    res.writeHead(status, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  };
  const decoder = new TextDecoder();
  try {
    for await (const frame of frames(uRes.body ?? createAsyncIterable<Uint8Array>([]))) {
      const text = decoder.decode(frame.data);
      if (frame.flags & FLAG_END) {
        const end = JSON.parse(text) as { error?: unknown };
        if (end.error) {
          const err = errorFromJson(end.error as never, undefined, new ConnectError('stream failed', Code.Unknown));
          start(codeToHttpStatus(err.code));
          res.write(errorLine(err));
        }
        break;
      }
      start(200);
      res.write(`{"result":${text}}\n`);
    }
  } catch (e) {
    const err = ConnectError.from(e);
    start(codeToHttpStatus(err.code));
    if (!res.destroyed) res.write(errorLine(err));
  }
  start(200);
  res.end();
}
