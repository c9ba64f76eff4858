import { readAhead } from '../../../src/application/import/read-ahead.js';

test('reads one item ahead of the consumer, and no further', async () => {
  const produced: number[] = [];
  async function* source() {
    for (let i = 0; i < 4; i++) {
      produced.push(i);
      yield i;
    }
  }
  const it = readAhead(source());
  expect((await it.next()).value).toBe(0);
  await new Promise((r) => setImmediate(r));
  expect(produced).toEqual([0, 1]); // the next item is already being read
  const rest: number[] = [];
  for await (const v of it) rest.push(v);
  expect(rest).toEqual([1, 2, 3]);
});

test("the source's error reaches the consumer at the item where it happened", async () => {
  async function* source() {
    yield 'a';
    throw new Error('truncated');
  }
  const seen: string[] = [];
  await expect(
    (async () => {
      for await (const v of readAhead(source())) seen.push(v);
    })(),
  ).rejects.toThrow('truncated');
  expect(seen).toEqual(['a']);
});

test('stopping early closes the source', async () => {
  let closed = false;
  async function* source() {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      closed = true;
    }
  }
  for await (const v of readAhead(source())) if (v === 2) break;
  expect(closed).toBe(true);
});
