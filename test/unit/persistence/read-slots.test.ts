import { createSlots } from '../../../src/persistence/resources/read-slots.js';

const signal = () => new AbortController().signal;

test('hands out `size` slots at once; the next waits until one is given back', async () => {
  const slots = createSlots(2, 60_000);
  const a = await slots.acquire(signal());
  await slots.acquire(signal());
  let third = false;
  const waiting = slots.acquire(signal()).then((release) => {
    third = true;
    return release;
  });
  await new Promise((resolve) => setImmediate(resolve));
  expect(third).toBe(false);
  a();
  a(); // a second release of the same slot gives nothing back twice
  (await waiting)();
  expect(third).toBe(true);
});

test('a caller that gets no slot within the wait is refused RESOURCE_EXHAUSTED (EXPORT-busy)', async () => {
  const slots = createSlots(1, 5);
  await slots.acquire(signal());
  await expect(slots.acquire(signal())).rejects.toMatchObject({ kind: 'ResourceExhausted', id: 'EXPORT-busy' });
});

test('an aborted waiter leaves the queue, so the slot goes to the next one', async () => {
  const slots = createSlots(1, 60_000);
  const first = await slots.acquire(signal());
  const controller = new AbortController();
  const aborted = slots.acquire(controller.signal);
  const next = slots.acquire(signal());
  controller.abort(new Error('gone'));
  await expect(aborted).rejects.toThrow('gone');
  first();
  await expect(next).resolves.toEqual(expect.any(Function));
});
