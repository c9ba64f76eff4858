import { create, type DescMessage, fromJson, type JsonObject, type Message, toJsonString } from '@bufbuild/protobuf';
import { ImportDataResponseSchema as DetailedSchema, Outcome } from '../../../gen/idport/v1/migration_pb.js';
import { ExportDataResponseSchema, ImportDataRequestSchema, ImportDataResponseSchema } from '../../../gen/zitadel/admin_pb.js';
import { AddPersonalAccessTokenRequestSchema } from '../../../gen/zitadel/management_pb.js';
import { protoJsonPieces, utf8Chunks } from '../../../src/transport/codec/proto-json-stream.js';
import { seededOrgs } from '../../fixtures/data-orgs.js';

/*
 * The streamed proto JSON is toJsonString's text for messages of every field kind: nested
 * messages and lists walked piece by piece, the rest (enums, int64, bytes, durations,
 * timestamps, oneofs, unset and zero fields) as protobuf-es writes it. Import answers are
 * compared in import-response.test.ts.
 */
const streamed = <S extends DescMessage>(schema: S, message: Message) => [...protoJsonPieces(schema, message)].join('');

test('an export with every DataOrg kind streams as toJsonString writes it', () => {
  const message = fromJson(ExportDataResponseSchema, { orgs: seededOrgs() as unknown as JsonObject[] });
  expect(message.orgs.length).toBe(2);
  expect(streamed(ExportDataResponseSchema, message)).toBe(toJsonString(ExportDataResponseSchema, message));
});

test('oneofs, well-known types, enums, 64-bit integers, booleans and empty messages', () => {
  const request = fromJson(ImportDataRequestSchema, {
    dataOrgs: { orgs: seededOrgs('-x') as unknown as JsonObject[] },
    timeout: '10m',
  });
  expect(streamed(ImportDataRequestSchema, request)).toBe(toJsonString(ImportDataRequestSchema, request));
  const token = fromJson(AddPersonalAccessTokenRequestSchema, { userId: 'u1', expirationDate: '2030-01-01T00:00:00.5Z' });
  expect(streamed(AddPersonalAccessTokenRequestSchema, token)).toBe(toJsonString(AddPersonalAccessTokenRequestSchema, token));
  const detailed = create(DetailedSchema, {
    response: { success: {} },
    results: [{ orgId: 'o1', type: 'org', id: 'o1', outcome: Outcome.FAILED, message: 'x' }, { outcome: Outcome.UNSPECIFIED }],
    counts: { created: 12n, failed: 9007199254740993n },
    dryRun: true,
  });
  expect(streamed(DetailedSchema, detailed)).toBe(toJsonString(DetailedSchema, detailed));
  for (const empty of [create(DetailedSchema), create(DetailedSchema, { response: {}, counts: {} })])
    expect(streamed(DetailedSchema, empty)).toBe(toJsonString(DetailedSchema, empty));
});

test('strings are escaped as JSON.stringify escapes them, lone surrogates included', () => {
  const odd = ['"\\\n\t\u0000\u001f', '\u2028\u2029', '😀 «ü» 株式会社', '\ud800', 'a\udfffb', '\ud83d\ude00\ud83d'];
  const message = create(DetailedSchema, {
    response: { errors: odd.map((message, i) => ({ type: 'human_user', id: odd[(i + 1) % odd.length] ?? '', message })) },
    results: odd.map((id) => ({ orgId: id, id })),
  });
  const json = streamed(DetailedSchema, message);
  expect(json).toBe(toJsonString(DetailedSchema, message));
  expect(json).toContain('\\ud800');
});

test('utf8Chunks joins pieces into Buffers of at most the size, never splitting a piece', () => {
  const pieces = ['{', '"é":', '"😀😀"', ',', 'x'.repeat(40), '"tail"', '}'];
  const chunks = [...utf8Chunks(pieces, 16)];
  expect(Buffer.concat(chunks).toString('utf8')).toBe(pieces.join(''));
  for (const chunk of chunks) expect(chunk.length <= 16 || chunk.toString('utf8') === 'x'.repeat(40)).toBe(true);
  expect(chunks.map((c) => c.toString('utf8'))).toEqual(['{"é":"😀😀"', ',', 'x'.repeat(40), '"tail"}']);
  expect([...utf8Chunks([], 16)]).toEqual([]);
});

test('messages of strings only (written without reflection) leave out empty fields as toJsonString does', () => {
  const response = create(ImportDataResponseSchema, {
    errors: [{}, { type: 'user_grant' }, { id: 'x', message: '' }],
    success: { orgs: [{ orgId: 'o1', userGrants: [{}, { userId: 'u1' }, { projectId: 'p', userId: '' }], humanUserIds: ['', 'u2'] }, {}] },
  });
  expect(streamed(ImportDataResponseSchema, response)).toBe(toJsonString(ImportDataResponseSchema, response));
});
