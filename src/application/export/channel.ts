/**
 * A one-producer, one-consumer async queue with backpressure: `push` resolves once the
 * consumer has taken the chunk, so a slow sink slows the producer instead of filling memory.
 */
export function createChannel<T>() {
  const queue: T[] = [];
  let waiting: ((r: IteratorResult<T>) => void) | undefined;
  let taken: (() => void) | undefined;
  let done = false;
  let failure: unknown;

  const iterable: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      next(): Promise<IteratorResult<T>> {
        taken?.();
        taken = undefined;
        if (failure !== undefined) return Promise.reject(failure);
        const value = queue.shift();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          waiting = resolve;
        });
      },
      return(): Promise<IteratorResult<T>> {
        done = true;
        taken?.();
        return Promise.resolve({ value: undefined, done: true });
      },
    }),
  };

  return {
    iterable,
    push(value: T): Promise<void> {
      if (done) return Promise.resolve();
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w({ value, done: false });
        return new Promise((resolve) => {
          taken = resolve;
        });
      }
      queue.push(value);
      return new Promise((resolve) => {
        taken = resolve;
      });
    },
    close(error?: unknown) {
      done = true;
      if (error !== undefined) failure = error;
      waiting?.(error !== undefined ? Promise.reject(error) as never : { value: undefined, done: true });
      waiting = undefined;
    },
  };
}
