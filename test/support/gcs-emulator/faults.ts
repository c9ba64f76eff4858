/**
 * Mid-transfer faults (`POST /_emulator/cut`): what a store failing half-way through looks like
 * to the client. An upload is cut once `afterBytes` of its body arrived, a download once
 * `afterBytes` of the object were sent; either way nothing is stored, so a test can check that
 * no partial object became visible.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendError } from './http.js';
import type { EmulatorState, TransferCut } from './store.js';

/**
 * The upload's body, as readBody gives it, unless an upload cut is armed and the body reaches
 * `afterBytes`: then the socket is dropped (`drop`) or a 503 is answered at once while the rest
 * is read and thrown away (`503`), and the caller gets `undefined` ("nothing happened").
 */
export function readUploadBody(state: EmulatorState, req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> {
  const cut = state.cut.upload;
  if (cut === undefined || cut.count <= 0) return readBody(req);
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let received = 0;
    let cutOff = false;
    const onData = (chunk: Buffer) => {
      if (cutOff) return;
      parts.push(chunk);
      received += chunk.length;
      if (received < cut.afterBytes) return;
      cutOff = true;
      cut.count--;
      parts.length = 0;
      resolve(undefined);
      if (cut.mode === 'drop') {
        req.socket.destroy();
        return;
      }
      res.setHeader('Connection', 'close');
      sendError(res, 503, 'backendError', `injected failure after ${received} bytes (/_emulator/cut)`);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (!cutOff) resolve(Buffer.concat(parts));
    });
    req.on('close', () => {
      if (!cutOff && !req.complete) resolve(undefined);
    });
    req.on('error', () => resolve(undefined));
  });
}

/**
 * Sends `body` as a download answers it (status and headers, whole Content-Length), unless a
 * download cut is armed and the body is longer than `afterBytes`: then only that many bytes
 * go out before the socket is dropped. Returns whether the download was cut.
 */
export function cutDownload(state: EmulatorState, res: ServerResponse, body: Buffer): boolean {
  const cut = state.cut.download;
  if (cut === undefined || cut.count <= 0 || body.length <= cut.afterBytes) return false;
  cut.count--;
  res.write(body.subarray(0, cut.afterBytes), () => res.socket?.destroy());
  return true;
}

/** Parses `/_emulator/cut?transfer=upload|download&afterBytes=N&mode=drop|503&count=K`. */
export function parseCut(url: URL): { transfer: 'upload' | 'download'; cut: TransferCut } | string {
  const transfer = url.searchParams.get('transfer');
  const mode = url.searchParams.get('mode') ?? 'drop';
  const afterBytes = Number(url.searchParams.get('afterBytes') ?? '0');
  const count = Number(url.searchParams.get('count') ?? '1');
  if (transfer !== 'upload' && transfer !== 'download') return 'transfer must be upload or download';
  if (mode !== 'drop' && mode !== '503') return 'mode must be drop or 503';
  if (transfer === 'download' && mode !== 'drop') return 'a download can only be dropped: its status is already sent';
  if (!Number.isInteger(afterBytes) || afterBytes < 0 || !Number.isInteger(count) || count < 0) {
    return 'afterBytes and count must be non-negative integers';
  }
  return { transfer, cut: { afterBytes, mode, count } };
}
