/** Cancellation helpers shared by the blob adapters. */
import { type DomainError, deadlineExceeded } from '../domain/errors.js';

/** The error every adapter throws once its `signal` has aborted (ports.ts: DeadlineExceeded). */
export const blobDeadline = (): DomainError =>
  deadlineExceeded('BLOB-deadline', 'blob transfer stopped: the deadline passed or the request was cancelled');

/** Settles like `promise`, but rejects with `blobDeadline()` as soon as `signal` aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Nobody awaits `promise` any more, but it may still reject (a producer that failed too):
    // unhandled, that rejection would crash the process.
    promise.catch(() => undefined);
    return Promise.reject(blobDeadline());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(blobDeadline());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Iterates `chunks`, stopping with `blobDeadline()` the moment `signal` aborts, even while the
 * producer is still working on its next chunk (a plain for-await would wait for it). The
 * producer's own errors pass through unchanged.
 */
export async function* abortable(chunks: AsyncIterable<Uint8Array>, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  let finished = false;
  try {
    while (true) {
      const next = await raceAbort(iterator.next(), signal);
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // Let the producer clean up, but don't wait: it may be stuck in the await we abandoned.
    if (!finished) void iterator.return?.()?.catch(() => undefined);
  }
}
