import * as http2 from 'node:http2';
import * as net from 'node:net';

/** What a raw client saw, and how many body bytes it had handed to the socket by then. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  /** gRPC trailers (HTTP/2) or none. */
  trailers: Record<string, string>;
  body: Buffer;
  /** Body bytes the client had written when the answer began; the server read at most this. */
  sent: number;
}

const CHUNK = Buffer.alloc(64 * 1024, 0x20);

/** Bytes to send: `size` spaces (a flood), or exactly `bytes`. */
type Body = { size: number; at(offset: number, n: number): Uint8Array };
const spaces = (size: number): Body => ({ size, at: (_o, n) => CHUNK.subarray(0, n) });
const exactly = (bytes: Buffer): Body => ({ size: bytes.length, at: (o, n) => bytes.subarray(o, o + n) });

/** Sends exactly `body` (HTTP/1.1 or cleartext HTTP/2) and collects the answer. */
export function floodWith(
  version: 1 | 2,
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<RawAnswer> {
  return version === 1 ? sendHttp1(baseUrl, path, headers, exactly(body)) : sendHttp2(baseUrl, path, headers, exactly(body));
}

/**
 * Sends an HTTP/1.1 request declaring `bodyBytes`, writes the body only as fast as the socket
 * takes it, and stops writing the moment the response begins. A server that reads the whole
 * body before answering makes `sent` reach `bodyBytes`; one that answers from the headers
 * leaves it near the sizes of the socket buffers.
 */
export function floodHttp1(baseUrl: string, path: string, headers: Record<string, string>, bodyBytes: number): Promise<RawAnswer> {
  return sendHttp1(baseUrl, path, headers, spaces(bodyBytes));
}

function sendHttp1(baseUrl: string, path: string, headers: Record<string, string>, source: Body): Promise<RawAnswer> {
  const bodyBytes = source.size;
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let sent = 0;
    let answered = false;
    let sentAtAnswer = 0;
    const received: Buffer[] = [];
    socket.on('error', (e) => (answered ? undefined : reject(e)));
    socket.on('data', (d: Buffer) => {
      if (!answered) sentAtAnswer = sent;
      answered = true;
      received.push(d);
    });
    socket.on('close', () => {
      const text = Buffer.concat(received);
      const split = text.indexOf('\r\n\r\n');
      const head = text.subarray(0, split).toString('latin1').split('\r\n');
      const status = Number(head[0]?.split(' ')[1]);
      const hdrs = Object.fromEntries(
        head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      let body: Buffer = text.subarray(split + 4);
      if (hdrs['transfer-encoding'] === 'chunked') body = dechunk(body);
      resolve({ status, headers: hdrs, trailers: grpcWebTrailers(body), body, sent: sentAtAnswer });
    });
    const lines = [`POST ${path} HTTP/1.1`, `host: ${hostname}:${port}`, `content-length: ${bodyBytes}`, 'connection: close'];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    const pump = () => {
      while (!answered && sent < bodyBytes) {
        const n = Math.min(CHUNK.length, bodyBytes - sent);
        sent += n;
        if (!socket.write(source.at(sent - n, n))) return void socket.once('drain', pump);
      }
    };
    pump();
  });
}

/** The same over cleartext HTTP/2 (gRPC, Connect over h2): one stream, flow-controlled writes. */
export function floodHttp2(baseUrl: string, path: string, headers: Record<string, string>, bodyBytes: number): Promise<RawAnswer> {
  return sendHttp2(baseUrl, path, headers, spaces(bodyBytes));
}

function sendHttp2(baseUrl: string, path: string, headers: Record<string, string>, source: Body): Promise<RawAnswer> {
  const bodyBytes = source.size;
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on('error', reject);
    const stream = session.request({ ':method': 'POST', ':path': path, ...headers });
    let sent = 0;
    let answered = false;
    let sentAtAnswer = 0;
    let status = 0;
    let hdrs: Record<string, string> = {};
    let trailers: Record<string, string> = {};
    const body: Buffer[] = [];
    const flat = (h: http2.IncomingHttpHeaders) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)]));
    stream.on('response', (h) => {
      answered = true;
      sentAtAnswer = sent;
      status = Number(h[':status']);
      hdrs = flat(h);
    });
    stream.on('trailers', (t) => {
      trailers = flat(t);
    });
    stream.on('data', (d: Buffer) => body.push(d));
    // The server answered without reading: stop sending and let the stream go.
    stream.on('end', () => stream.close());
    stream.on('error', () => {});
    stream.on('close', () => {
      session.close();
      resolve({ status, headers: hdrs, trailers, body: Buffer.concat(body), sent: sentAtAnswer });
    });
    const pump = () => {
      while (!answered && sent < bodyBytes) {
        const n = Math.min(CHUNK.length, bodyBytes - sent);
        sent += n;
        if (!stream.write(source.at(sent - n, n))) return void stream.once('drain', pump);
      }
      if (!answered) stream.end();
    };
    pump();
  });
}

function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = Number.parseInt(raw.subarray(at, eol).toString('latin1'), 16);
    if (!size) break;
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** gRPC-Web sends trailers as a last frame flagged 0x80 in the body ("name: value" lines). */
function grpcWebTrailers(body: Buffer): Record<string, string> {
  let at = 0;
  while (at + 5 <= body.length) {
    const length = body.readUInt32BE(at + 1);
    if ((body[at] as number) & 0x80) {
      const lines = body
        .subarray(at + 5, at + 5 + length)
        .toString('latin1')
        .split('\r\n')
        .filter(Boolean);
      return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    }
    at += 5 + length;
  }
  return {};
}
