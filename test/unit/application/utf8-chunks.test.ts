import { type ExportFrame, frameText } from '../../../src/application/export/export-parts.js';
import { createUtf8Chunks } from '../../../src/application/export/utf8-chunks.js';

/** Every chunk the frames make, in order, with the last one sealed. */
function encode(frames: ExportFrame[], size: number): Uint8Array[] {
  const chunks = createUtf8Chunks(size);
  const out: Uint8Array[] = [];
  for (const frame of frames) {
    chunks.add(frame);
    out.push(...chunks.ready.splice(0));
  }
  chunks.end();
  out.push(...chunks.ready.splice(0));
  return out;
}

const joined = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString('utf8');

test('the chunks hold the frames as frameText writes them: text, then the items joined by commas', () => {
  const frames: ExportFrame[] = [
    { text: '{"orgs":[' },
    { text: '{"orgId":"o1"' },
    { text: ',"org":{}' },
    { text: ',"humanUsers":[', items: ['{"a":1}', '{"b":2}', '{"c":3}'] },
    { text: ',', items: ['{"d":4}'] },
    { text: ']' },
    { text: ',"orgState":' },
    { text: '"ORG_STATE_ACTIVE"' },
    { text: '}]}' },
  ];
  const chunks = encode(frames, 20);
  expect(joined(chunks)).toBe(frames.map(frameText).join(''));
  // No text here is larger than a chunk, so no chunk is larger than the size.
  for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(20);
  expect(chunks.length).toBeGreaterThan(3);
});

test('multi-byte characters are never split across chunks and a text larger than a chunk gets one of its own', () => {
  const big = `"${'ü€😀'.repeat(20)}"`;
  const frames: ExportFrame[] = [{ text: 'ää' }, { text: '[', items: ['"é"', big, '"€€€"', '"x"'] }, { text: ']' }];
  const chunks = encode(frames, 10);
  expect(joined(chunks)).toBe(frames.map(frameText).join(''));
  // Each chunk decodes on its own: no character was cut in two.
  for (const chunk of chunks) expect(Buffer.from(Buffer.from(chunk).toString('utf8')).equals(Buffer.from(chunk))).toBe(true);
  expect(chunks.some((c) => c.length === Buffer.byteLength(big))).toBe(true);
});

test('a comma that meets a full chunk starts the next one', () => {
  // '[' + '"abc"' fills 6 bytes exactly; the separator must go to a new chunk, not overflow.
  const chunks = encode([{ text: '[', items: ['"abc"', '"d"'] }], 6);
  expect(chunks.map((c) => Buffer.from(c).toString('utf8'))).toEqual(['["abc"', ',"d"']);
});

test('nothing written: no chunk', () => {
  expect(encode([], 8)).toEqual([]);
  expect(encode([{ text: '' }, { text: '', items: [] }], 8)).toEqual([]);
});
