/**
 * Reading COPY TO's text format (src/persistence/resources/copy-text.ts), which the PostgreSQL
 * export parses every row with: escapes, NULL, rows and characters cut across chunks.
 */

import { copyFields, createCopyLineSplitter, fromCopyText } from '../../../src/persistence/resources/copy-text.js';
import { copyLine, copyValue } from '../../../src/persistence/resources/resource-copy.js';

describe('fromCopyText', () => {
  test.each([
    ['plain text', 'plain text'],
    ['a JSON payload with \\"quotes\\" and a \\\\ backslash', '{"name": "a \\"q\\" \\\\ b"}'],
    ['tab, newline, carriage return', 'a\tb\nc\rd'],
    ['backslashes next to each other', '\\\\\\n\\t'],
    ['a trailing backslash', 'ends with \\'],
    ['unicode, astral plane included', 'Zoë 😀 日本 \u2028'],
    ['an empty string', ''],
  ])('reads back what COPY writes: %s', (_name, value) => {
    expect(fromCopyText(copyValue(value))).toBe(value);
  });

  test("\\N is NULL; PostgreSQL's other control escapes are decoded; any other backslashed character is itself", () => {
    expect(fromCopyText('\\N')).toBeNull();
    expect(fromCopyText('a\\bb\\fc\\vd')).toBe('a\bb\fc\vd');
    expect(fromCopyText('\\x\\q')).toBe('xq');
  });

  test('a row splits into its columns: payload, password hash, OTP secret (NULL where absent)', () => {
    const payload = '{"user": {"userName": "tab\\there", "nick": "back\\\\slash"}}';
    const hash = '$2a$10$abcdefghijklmnopqrstuv';
    expect(copyFields(copyLine([payload, hash, null]))).toEqual([payload, hash, null]);
    expect(copyFields(copyLine([payload, null, 'JBSWY3DPEHPK3PXP']))).toEqual([payload, null, 'JBSWY3DPEHPK3PXP']);
    expect(copyFields(copyLine([payload]))).toEqual([payload]);
  });
});

describe('createCopyLineSplitter', () => {
  const rows = [copyLine(['{"a": "Zoë 😀"}', null]), copyLine(['{"b": "x\\ny\\tz"}', 'h']), copyLine(['{}', null])];
  const output = Buffer.from(rows.map((r) => `${r}\n`).join(''), 'utf8');

  test.each([1, 2, 3, 7, output.length])('gives whole lines however the output is cut (chunks of %i bytes)', (size) => {
    const splitter = createCopyLineSplitter();
    const lines: string[] = [];
    for (let at = 0; at < output.length; at += size) lines.push(...splitter.push(output.subarray(at, at + size)));
    splitter.end();
    expect(lines).toEqual(rows);
    expect(lines.map(copyFields)[0]).toEqual(['{"a": "Zoë 😀"}', null]);
  });

  test('a chunk of several hundred KiB (a slow consumer) gives the same lines, characters cut inside it included', () => {
    // Rows of odd length with 4-byte characters, so the 64 KiB decoding pieces end inside
    // characters and inside rows.
    const many = Array.from({ length: 6000 }, (_v, i) => copyLine([`{"n": ${i}, "s": "${'😀'.repeat(i % 13)}ë"}`, i % 2 ? 'h' : null]));
    const big = Buffer.from(many.map((r) => `${r}\n`).join(''), 'utf8');
    expect(big.length).toBeGreaterThan(3 * 64 * 1024);
    const splitter = createCopyLineSplitter();
    const lines = [...splitter.push(big.subarray(0, 100_001)), ...splitter.push(big.subarray(100_001))];
    splitter.end();
    expect(lines).toEqual(many);
  });

  test('output that stops inside a row is an error, not a short row', () => {
    const splitter = createCopyLineSplitter();
    expect(splitter.push(Buffer.from('{"a": 1}\n{"b"'))).toEqual(['{"a": 1}']);
    expect(() => splitter.end()).toThrow('COPY output ended inside a row');
  });

  test('a character cut at the end of the output is an error too', () => {
    const splitter = createCopyLineSplitter();
    splitter.push(Buffer.from('😀', 'utf8').subarray(0, 2));
    expect(() => splitter.end()).toThrow('COPY output ended inside a row');
  });
});
