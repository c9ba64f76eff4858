/**
 * The import file's grammar check (json-grammar.ts) must accept exactly what JSON.parse of the
 * file's UTF-8 text accepts: a table of edge cases, then random documents, each also mutated
 * by one byte, fed in random chunk sizes, so both answers are compared on thousands of inputs.
 */
import { isDomainError } from '../../../src/domain/errors.js';
import { JsonGrammar } from '../../../src/transport/codec/json-grammar.js';

const LIMITS = { maxDepth: 1000, maxStringBytes: 1 << 20 };

function parses(bytes: Uint8Array): boolean {
  try {
    JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
    return true;
  } catch {
    return false;
  }
}

/** The checker's answer: true, or the id of the error it threw. */
function checks(bytes: Uint8Array, chunk = bytes.length || 1): true | string {
  const grammar = new JsonGrammar(LIMITS);
  try {
    for (let i = 0; i < bytes.length; i += chunk) grammar.push(bytes.subarray(i, i + chunk));
    grammar.end();
    return true;
  } catch (e) {
    if (!isDomainError(e)) throw e;
    return e.id;
  }
}

const TEXT = [
  '{}',
  '[]',
  ' \t\r\n{"a":1} \n',
  '0',
  '-0',
  '-0.5e-7',
  '1E+2',
  '123',
  '"x"',
  'true',
  'false',
  'null',
  '{"a":[1,2,{"b":null}],"c":"d\\"e\\\\f\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\ude00"}',
  '"\\ud800"',
  '{"a":1,"a":2}',
  '',
  ' ',
  '{',
  '{"a"',
  '{"a":',
  '{"a":1',
  '{"a":1,}',
  '[1,]',
  '[,1]',
  '[1 2]',
  '{"a" 1}',
  '{1:2}',
  "{'a':1}",
  '01',
  '-',
  '-a',
  '1.',
  '.5',
  '1e',
  '1e+',
  '+1',
  '0x10',
  'NaN',
  'Infinity',
  'tru',
  'trux',
  'nul',
  '"abc',
  '"\\x"',
  '"\\u12"',
  '"\\u12G4"',
  '"a\tb"',
  '"a\u0001b"',
  '{}{}',
  '{} x',
  '[]]',
  '[}',
  '{]',
  '"é"',
  '"😀"',
  '1 2',
];

const BYTES: [string, number[]][] = [
  ['overlong slash', [0x22, 0xc0, 0xaf, 0x22]],
  ['overlong 3-byte', [0x22, 0xe0, 0x80, 0xaf, 0x22]],
  ['encoded surrogate', [0x22, 0xed, 0xa0, 0x80, 0x22]],
  ['past U+10FFFF', [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]],
  ['lone continuation', [0x22, 0x80, 0x22]],
  ['truncated sequence', [0x22, 0xe2, 0x82, 0x22]],
  ['F5 lead', [0x22, 0xf5, 0x80, 0x80, 0x80, 0x22]],
  ['euro sign', [0x22, 0xe2, 0x82, 0xac, 0x22]],
  ['U+10FFFF', [0x22, 0xf4, 0x8f, 0xbf, 0xbf, 0x22]],
  ['NUL outside a string', [0x5b, 0x00, 0x5d]],
  ['DEL in a string', [0x22, 0x7f, 0x22]],
];

describe('JsonGrammar agrees with JSON.parse', () => {
  test.each(TEXT)('%j', (text) => {
    const bytes = Buffer.from(text);
    for (const chunk of [bytes.length || 1, 1, 2, 3]) expect(checks(bytes, chunk) === true).toBe(parses(bytes));
  });

  test.each(BYTES)('%s', (_, list) => {
    const bytes = Uint8Array.from(list);
    for (const chunk of [bytes.length, 1]) expect(checks(bytes, chunk) === true).toBe(parses(bytes));
  });

  test('an incomplete document is IMPORT-file-truncated, a broken one IMPORT-file-json', () => {
    expect(checks(Buffer.from('{"orgs":[{"a":'))).toBe('IMPORT-file-truncated');
    expect(checks(Buffer.from('{"orgs":[}'))).toBe('IMPORT-file-json');
    expect(checks(Buffer.from('{} {}'))).toBe('IMPORT-file-json');
  });

  test('the depth and string bounds of json-bounds.ts hold', () => {
    const grammar = (text: string) => {
      try {
        const g = new JsonGrammar({ maxDepth: 3, maxStringBytes: 5 });
        g.push(Buffer.from(text));
        g.end();
        return true;
      } catch (e) {
        return isDomainError(e) ? e.id : e;
      }
    };
    expect(grammar('[[[]]]')).toBe(true);
    expect(grammar('[[[[]]]]')).toBe('JSON-depth');
    expect(grammar('["abcde"]')).toBe(true);
    expect(grammar('["abcdef"]')).toBe('JSON-string-size');
    expect(grammar('{"abcdef":1}')).toBe('JSON-string-size');
  });

  /** A small deterministic generator (mulberry32), so a failure can be replayed. */
  function random(seed: number) {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const PIECES = ['a', 'é', '😀', '\\n', '\\u00e9', '"', '\\', ' ', '\t', '€', 'z9'];

  function value(rnd: () => number, depth: number): unknown {
    const r = rnd();
    if (depth > 3 || r < 0.3) {
      const s = rnd();
      if (s < 0.25) return Math.round((rnd() - 0.5) * 1e6) / (rnd() < 0.5 ? 1 : 1000);
      if (s < 0.35) return rnd() < 0.5;
      if (s < 0.4) return null;
      return Array.from({ length: Math.floor(rnd() * 5) }, () => PIECES[Math.floor(rnd() * PIECES.length)]).join('');
    }
    if (r < 0.65) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(rnd, depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => [`k${i}${PIECES[i % 3]}`, value(rnd, depth + 1)]));
  }

  // Bytes a mutation writes: JSON's own punctuation and a few UTF-8 lead and continuation bytes.
  const MUTATIONS = Buffer.from('{}[]:,"\\ 0-.e+tfnu\x01\x80\xc3\xe2\xf0\xff');

  test('random documents, and each one with one byte changed, inserted or removed', () => {
    const rnd = random(20261202);
    let compared = 0;
    for (let n = 0; n < 400; n++) {
      const doc = Buffer.from(JSON.stringify(value(rnd, 0), null, rnd() < 0.3 ? 1 : undefined));
      expect(checks(doc, 1 + Math.floor(rnd() * 7))).toBe(true);
      for (let m = 0; m < 10; m++) {
        const at = Math.floor(rnd() * doc.length);
        const byte = MUTATIONS[Math.floor(rnd() * MUTATIONS.length)] as number;
        const how = rnd();
        const mutated =
          how < 0.4
            ? Buffer.concat([doc.subarray(0, at), Buffer.from([byte]), doc.subarray(at + 1)])
            : how < 0.7
              ? Buffer.concat([doc.subarray(0, at), Buffer.from([byte]), doc.subarray(at)])
              : Buffer.concat([doc.subarray(0, at), doc.subarray(at + 1)]);
        const expected = parses(mutated);
        const got = checks(mutated, 1 + Math.floor(rnd() * 7)) === true;
        if (got !== expected) throw new Error(`disagrees with JSON.parse (${expected}) on ${JSON.stringify(mutated.toString('latin1'))}`);
        compared++;
      }
    }
    expect(compared).toBe(4000);
  });
});
