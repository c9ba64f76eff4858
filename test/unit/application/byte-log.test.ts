import { ByteLog } from '../../../src/application/import/byte-log.js';

test('reads back varints and strings in order, across chunk boundaries, from any position taken', () => {
  const log = new ByteLog();
  const written: (number | string)[] = [];
  const starts: { at: ReturnType<ByteLog['position']>; index: number }[] = [];
  for (let i = 0; i < 5000; i++) {
    if (i % 997 === 0) starts.push({ at: log.position(), index: written.length });
    const n = i % 3 === 0 ? i * 2 ** 31 + 5 : i;
    log.varint(n);
    written.push(n);
    const s = i % 500 === 0 ? 'x'.repeat(70_000) : `${i}-ü-😀-${'a'.repeat(i % 50)}`;
    log.string(s);
    written.push(s);
    log.string('');
    written.push('');
  }
  for (const { at, index } of starts) {
    const reader = log.reader(at);
    const read: (number | string)[] = [];
    for (let k = index; k < written.length; k += 3) read.push(reader.varint(), reader.string(), reader.string());
    expect(read).toEqual(written.slice(index));
  }
});

test('copy gives the bytes between two sizes, across chunks, and append writes them into another log to read there', () => {
  const log = new ByteLog();
  const marks: number[] = [];
  for (let i = 0; i < 3000; i++) {
    marks.push(log.size);
    log.string(i % 700 === 0 ? 'y'.repeat(90_000) : `${i}-ü-${'b'.repeat(i % 40)}`);
  }
  const from = marks[100] as number;
  const to = marks[2900] as number;
  const other = new ByteLog();
  other.string('before');
  const at = other.append(log.copy(from, to));
  expect(other.size).toBe('before'.length + 1 + (to - from));
  const reader = other.reader(at);
  for (let i = 100; i < 2900; i++) expect(reader.string()).toBe(i % 700 === 0 ? 'y'.repeat(90_000) : `${i}-ü-${'b'.repeat(i % 40)}`);
});
