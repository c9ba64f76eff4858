import { isDomainError } from '../../../src/domain/errors.js';
import { indexExportFile } from '../../../src/transport/codec/file-index.js';
import { checkJsonBounds, DEFAULT_JSON_LIMITS } from '../../../src/transport/gate/json-bounds.js';

const limits = { maxDepth: 3, maxStringBytes: 5 };
const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return isDomainError(e) ? { kind: e.kind, id: e.id } : e;
  }
  return undefined;
};

describe('checkJsonBounds', () => {
  test.each([
    ['[[[]]]', undefined],
    ['[[[[]]]]', { kind: 'InvalidArgument', id: 'JSON-depth' }],
    ['{"a":{"b":{"c":1}}}', undefined],
    ['{"a":{"b":{"c":{}}}}', { kind: 'InvalidArgument', id: 'JSON-depth' }],
    // Brackets inside strings are text, not nesting; escaped quotes do not end a string.
    ['["[[[[", "a\\"["]', undefined],
    ['["abcde"]', undefined],
    ['["abcdef"]', { kind: 'InvalidArgument', id: 'JSON-string-size' }],
    ['{"abcdef":1}', { kind: 'InvalidArgument', id: 'JSON-string-size' }],
  ])('%s', (text, expected) => {
    expect(errorOf(() => checkJsonBounds(Buffer.from(text), limits))).toEqual(expected);
  });

  test('the 12 KB body of 6,000 nested arrays breaks the default depth', () => {
    const deep = Buffer.from(`${'['.repeat(6000)}${']'.repeat(6000)}`);
    expect(errorOf(() => checkJsonBounds(deep, DEFAULT_JSON_LIMITS))).toEqual({ kind: 'InvalidArgument', id: 'JSON-depth' });
  });
});

async function drain(chunks: Uint8Array[], outlineMax: number) {
  async function* source() {
    yield* chunks;
  }
  try {
    await indexExportFile(source(), { outlineMax });
  } catch (e) {
    return isDomainError(e) ? { kind: e.kind, id: e.id } : e;
  }
  return undefined;
}

describe('import files (indexExportFile)', () => {
  test('bytes outside the orgs are bounded like one org: RESOURCE_EXHAUSTED, not memory', async () => {
    // 8 MiB of strings beside "orgs", streamed in 64 KiB chunks, against a 1 MiB outline bound.
    const filler = Buffer.alloc(64 * 1024, 0x61);
    const chunks = [
      Buffer.from('{"orgs":[],"x":['),
      ...Array.from({ length: 128 }, () => Buffer.from(`"${filler.toString()}",`)),
      Buffer.from('1]}'),
    ];
    expect(await drain(chunks, 1024 * 1024)).toEqual({ kind: 'ResourceExhausted', id: 'IMPORT-file-outline' });
  });

  test('deep nesting inside an org is INVALID_ARGUMENT', async () => {
    const org = `{"orgId":"1","x":${'['.repeat(6000)}${']'.repeat(6000)}}`;
    expect(await drain([Buffer.from(`{"orgs":[${org}]}`)], 1024 * 1024)).toEqual({ kind: 'InvalidArgument', id: 'JSON-depth' });
  });
});
