/**
 * A one-producer, one-consumer async queue with backpressure: `push` resolves once the
 * consumer has taken the value, so a slow consumer slows the producer instead of filling
 * memory. `close(error)` ends the consumer's iteration with that error.
 */
export function createChannel<T>() {
  const queue: { value: T; taken: () => void }[] = [];
  let waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  let closed = false;
  let failure: { error: unknown } | undefined;

  const settleWaiter = () => {
    if (!waiter) return;
    const w = waiter;
    const next = queue.shift();
    if (next) {
      waiter = undefined;
      next.taken();
      w.resolve({ value: next.value, done: false });
    } else if (failure) {
      waiter = undefined;
      w.reject(failure.error);
    } else if (closed) {
      waiter = undefined;
      w.resolve({ value: undefined, done: true });
    }
  };

  const iterable: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      next: () =>
        new Promise<IteratorResult<T>>((resolve, reject) => {
          waiter = { resolve, reject };
          settleWaiter();
        }),
      return: () => {
        closed = true;
        for (const item of queue.splice(0)) item.taken();
        return Promise.resolve({ value: undefined, done: true });
      },
    }),
  };

  const push = (value: T): Promise<void> => {
    if (closed) return Promise.resolve();
    return new Promise<void>((taken) => {
      queue.push({ value, taken });
      settleWaiter();
    });
  };

  return {
    iterable,
    push,
    /**
     * `push`, bounded: rejects with `signal`'s reason once it aborts, and with `idle()` once
     * the consumer has not taken the value for `idleMs`. The value may stay queued; the
     * producer is expected to stop and `close` the channel with that error.
     */
    offer(value: T, signal: AbortSignal, idleMs: number, idle: () => Error): Promise<void> {
      if (signal.aborted) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => settle(() => reject(signal.reason));
        const timer = setTimeout(() => settle(() => reject(idle())), idleMs);
        const settle = (then: () => void) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          then();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        push(value).then(() => settle(resolve));
      });
    },
    close(error?: unknown) {
      if (error !== undefined && !closed) failure = { error };
      closed = true;
      settleWaiter();
    },
  };
}
