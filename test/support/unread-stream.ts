/**
 * A server-streaming call whose client never reads: one raw HTTP/2 stream whose response body
 * is left paused, so the client's flow-control window fills and the server's writes block,
 * exactly as with a client that stopped reading. `finish()` later reads it to the end and
 * tells how it ended.
 */
import { once } from 'node:events';
import type * as http2 from 'node:http2';

export type StreamProtocol = 'grpc' | 'connect';

export interface UnreadStream {
  /** Reads everything left; the messages seen and the status the stream ended with. */
  finish(): Promise<{ messages: number; status: string }>;
}

const envelope = (flags: number, payload: Uint8Array) => {
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
};

/** gRPC status numbers by name (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
const GRPC_STATUS: Record<string, string> = { '0': 'ok', '4': 'deadline_exceeded', '8': 'resource_exhausted', '14': 'unavailable' };

export function openUnreadStream(
  session: http2.ClientHttp2Session,
  protocol: StreamProtocol,
  path: string,
  token: string,
  request: Uint8Array,
): UnreadStream {
  const stream = session.request({
    ':method': 'POST',
    ':path': path,
    authorization: `Bearer ${token}`,
    ...(protocol === 'grpc'
      ? { 'content-type': 'application/grpc+proto', te: 'trailers' }
      : { 'content-type': 'application/connect+proto', 'connect-protocol-version': '1' }),
  });
  stream.end(envelope(0, request));
  stream.pause();
  let trailers: http2.IncomingHttpHeaders = {};
  let headers: http2.IncomingHttpHeaders = {};
  stream.on('trailers', (t) => {
    trailers = t;
  });
  // Headers may come only with the first message or the end; they are read once finishing.
  const answered = once(stream, 'response').then(([h]) => {
    headers = h as http2.IncomingHttpHeaders;
  });
  answered.catch(() => undefined);
  // A refused call can end (trailers only) before anyone reads: listen from the start.
  const closed = once(stream, 'close');
  return {
    async finish() {
      await answered;
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.resume();
      await closed;
      const body = Buffer.concat(chunks);
      let messages = 0;
      let endStatus: string | undefined;
      for (let at = 0; at + 5 <= body.length; ) {
        const flags = body.readUInt8(at);
        const length = body.readUInt32BE(at + 1);
        if (flags & 0x02) {
          const end = JSON.parse(body.subarray(at + 5, at + 5 + length).toString('utf8')) as { error?: { code?: string } };
          endStatus = end.error?.code ?? 'ok';
        } else messages += 1;
        at += 5 + length;
      }
      const grpcStatus = trailers['grpc-status'] ?? headers['grpc-status'];
      const status = protocol === 'grpc' ? (GRPC_STATUS[String(grpcStatus)] ?? `grpc-status ${grpcStatus}`) : (endStatus ?? 'none');
      return { messages, status };
    },
  };
}
