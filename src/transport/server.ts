import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type { NodeServerRequest, NodeServerResponse } from './node-types.js';

export interface RunningServer {
  port: number;
  /**
   * Stops taking connections: the listener closes, idle HTTP/1.1 connections close and HTTP/2
   * sessions get GOAWAY (their open streams go on). Calls in flight are not touched.
   */
  stopAccepting(): void;
  /** Cuts every connection left: their calls see their signal abort (imports roll back). */
  cut(): void;
  /** stopAccepting, then cut whatever is left after a moment (tests and failed starts). */
  close(): Promise<void>;
}

/** The HTTP/2 client connection preface starts with these bytes (RFC 9113 §3.4). */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0');

/**
 * Serves HTTP/1.1 and cleartext HTTP/2 on ONE port. Node's http2 server only accepts
 * HTTP/1.1 on TLS (`allowHTTP1`, nodejs/node#26795), but curl/REST clients speak HTTP/1.1 and
 * gRPC clients speak h2c; so we peek at the first bytes of each connection and hand it to
 * the matching server.
 */
export async function listen(
  handler: (req: NodeServerRequest, res: NodeServerResponse) => void,
  port: number,
  host: string,
): Promise<RunningServer> {
  const h1 = http.createServer(handler);
  const h2 = http2.createServer({}, handler);
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (s) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const n = Math.min(buffered.length, H2_PREFACE.length);
      const isH2 = buffered.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2 && buffered.length < H2_PREFACE.length) return; // need more bytes to decide
      socket.off('data', onData);
      socket.pause();
      socket.unshift(buffered);
      (isH2 ? h2 : h1).emit('connection', socket);
      // http2 takes the buffered bytes and reads the socket natively; resuming the JS stream would steal frames.
      if (!isH2) socket.resume();
    };
    socket.on('data', onData);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  let closed: Promise<void> | undefined;
  const stopAccepting = () => {
    closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
    h1.closeIdleConnections();
    for (const s of sessions) s.close();
  };
  const cut = () => {
    for (const s of sessions) s.destroy();
    for (const s of sockets) s.destroy();
  };
  return {
    port: typeof address === 'object' && address ? address.port : port,
    stopAccepting,
    cut,
    close: () => {
      stopAccepting();
      h1.closeAllConnections();
      // Give in-flight responses a moment, then cut what is left so closing never hangs.
      setTimeout(cut, 2000).unref();
      return closed ?? Promise.resolve();
    },
  };
}
