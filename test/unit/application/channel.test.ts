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
