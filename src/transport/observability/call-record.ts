import { AsyncLocalStorage } from 'node:async_hooks';

export type Protocol = 'grpc' | 'grpc-web' | 'connect' | 'rest' | 'http';

/**
 * What one call did, filled in as it goes: the access wrapper (access-log.ts) opens it for each
 * HTTP request or HTTP/2 stream, the call interceptor adds the RPC's name, outcome and caller.
 */
export interface CallRecord {
  readonly requestId: string;
  readonly protocol: Protocol;
  /** `package.Service/Method` for RPCs (REST paths included), else `VERB /path`. */
  method: string;
  /** gRPC code name in Connect's spelling (`ok`, `invalid_argument`, …), once known. */
  code: string | undefined;
  /** The stable error id (`x-idport-error-id`) of a failed call. */
  errorId: string | undefined;
  principalId: string | undefined;
  bytesIn: number;
  bytesOut: number;
}

/** A call as it is logged and counted when its response is done. */
export interface FinishedCall extends Readonly<CallRecord> {
  readonly code: string;
  readonly durationSeconds: number;
}

// The interceptor runs deep inside connect-node, which passes no per-request object of ours
// through; AsyncLocalStorage carries the record from the request handler to it.
const scope = new AsyncLocalStorage<CallRecord>();

export function runInCall<T>(call: CallRecord, work: () => T): T {
  return scope.run(call, work);
}

/** The record of the call being served, if any (undefined in in-process router tests). */
export function currentCall(): CallRecord | undefined {
  return scope.getStore();
}
