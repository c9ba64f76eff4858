import type { ResourceTransactions } from '../../../src/application/ports.js';
import { refreshStatisticsBehind } from '../../../src/persistence/resources/statistics-behind.js';

/** A store whose ANALYZE runs are gates the test opens (or fails) one at a time. */
function gatedStore() {
  const runs: { open(): void; fail(e: Error): void }[] = [];
  const events: string[] = [];
  const inner: ResourceTransactions = {
    write: (_signal, _options, work) => work({} as never),
    analyze: () =>
      new Promise<void>((resolve, reject) => {
        events.push(`analyze ${runs.length + 1} started`);
        runs.push({ open: resolve, fail: reject });
      }),
    read: async (_signal, work) => {
      events.push('read');
      return work({} as never);
    },
  };
  return { inner, runs, events };
}

const signal = new AbortController().signal;
const turn = () => new Promise((resolve) => setImmediate(resolve));

test('analyze answers at once; a read begun meanwhile waits for the refresh to end', async () => {
  const { inner, runs, events } = gatedStore();
  const store = refreshStatisticsBehind(inner, () => {});
  await store.analyze();
  const read = store.read(signal, async () => 'done');
  await turn();
  expect(events).toEqual(['analyze 1 started']);
  runs[0]?.open();
  await expect(read).resolves.toBe('done');
  expect(events).toEqual(['analyze 1 started', 'read']);
});

test('an ask while one runs is run after it; asks while that one waits share it; settled waits for both', async () => {
  const { inner, runs, events } = gatedStore();
  const store = refreshStatisticsBehind(inner, () => {});
  await store.analyze();
  await store.analyze();
  await store.analyze();
  let settled = false;
  const closing = store.settled().then(() => {
    settled = true;
  });
  await turn();
  expect(runs).toHaveLength(1);
  runs[0]?.open();
  await turn();
  expect(runs).toHaveLength(2);
  expect(settled).toBe(false);
  runs[1]?.open();
  await closing;
  expect(events).toEqual(['analyze 1 started', 'analyze 2 started']);
});

test('a failed refresh goes to onError, and reads after it go on', async () => {
  const { inner, runs } = gatedStore();
  const errors: unknown[] = [];
  const store = refreshStatisticsBehind(inner, (e) => errors.push(e));
  await store.analyze();
  const read = store.read(signal, async () => 'read');
  runs[0]?.fail(new Error('analyze failed'));
  await expect(read).resolves.toBe('read');
  await store.settled();
  expect(errors).toEqual([new Error('analyze failed')]);
  await expect(store.read(signal, async () => 'later')).resolves.toBe('later');
});

test('nothing asked: reads and settled do not wait', async () => {
  const { inner } = gatedStore();
  const store = refreshStatisticsBehind(inner, () => {});
  await store.settled();
  await expect(store.read(signal, async () => 1)).resolves.toBe(1);
});
