/**
 * Iterates `source` one item ahead of the consumer: while the consumer awaits the database
 * with one org, the next org is already being read and decoded, so CPU and database work
 * overlap instead of taking turns. Holds at most one extra item.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  // A rejection is handled when it is awaited below; don't let it count as unhandled before.
  next.catch(() => undefined);
  try {
    for (;;) {
      const step = await next;
      if (step.done) return;
      next = iterator.next();
      next.catch(() => undefined);
      yield step.value;
    }
  } finally {
    await iterator.return?.();
  }
}
