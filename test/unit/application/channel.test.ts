import { createChannel } from '../../../src/application/export/channel.js';

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

test('values arrive in order and push resolves only when the consumer took the value', async () => {
  const ch = createChannel<number>();
  let taken = false;
  const pushed = ch.push(1).then(() => {
    taken = true;
  });
  await new Promise((r) => setImmediate(r));
  expect(taken).toBe(false); // backpressure: nobody has read yet
  const consumer = drain(ch.iterable);
  await pushed;
  expect(taken).toBe(true);
  await ch.push(2);
  ch.close();
  expect(await consumer).toEqual([1, 2]);
});

test('close(error) ends the consumer with that error, after what was queued', async () => {
  const ch = createChannel<string>();
  void ch.push('a');
  ch.close(new Error('producer failed'));
  const seen: string[] = [];
  await expect(
    (async () => {
      for await (const v of ch.iterable) seen.push(v);
    })(),
  ).rejects.toThrow('producer failed');
  expect(seen).toEqual(['a']);
});

test('a consumer that stops early releases the producer', async () => {
  const ch = createChannel<number>();
  const producer = (async () => {
    for (let i = 0; i < 5; i++) await ch.push(i);
    return 'done';
  })();
  for await (const v of ch.iterable) if (v === 1) break;
  await expect(producer).resolves.toBe('done');
});

describe('offer: push with an idle bound', () => {
  const idle = () => new Error('idle');

  test('resolves when the consumer takes the value in time', async () => {
    const ch = createChannel<number>();
    const offered = ch.offer(1, new AbortController().signal, 1_000, idle);
    const it = ch.iterable[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ value: 1, done: false });
    await expect(offered).resolves.toBeUndefined();
  });

  test('rejects with idle() when nobody takes the value', async () => {
    const ch = createChannel<number>();
    await expect(ch.offer(1, new AbortController().signal, 5, idle)).rejects.toThrow('idle');
  });

  test("rejects with the signal's reason once it aborts, and at once if it already has", async () => {
    const ch = createChannel<number>();
    const controller = new AbortController();
    const offered = ch.offer(1, controller.signal, 60_000, idle);
    controller.abort(new Error('cancelled'));
    await expect(offered).rejects.toThrow('cancelled');
    await expect(ch.offer(2, controller.signal, 60_000, idle)).rejects.toThrow('cancelled');
  });
});
