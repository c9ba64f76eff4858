/** IDPORT_S3_ENDPOINTS: what an entry allows, and what a request's `endpoint` may look like. */
import { parseS3AllowList } from '../../../src/blob/s3-endpoint.js';
import { loadConfig } from '../../../src/config.js';
import { isDomainError } from '../../../src/domain/errors.js';

/** The error id `resolve` throws, or the URL it resolves to. */
function outcome(entries: string[], endpoint: string, ssl: boolean): string {
  try {
    return parseS3AllowList(entries).resolve(endpoint, ssl).url;
  } catch (e) {
    if (isDomainError(e) && e.kind === 'InvalidArgument') return e.id;
    throw e;
  }
}

const LIST = ['s3.eu-central-1.amazonaws.com', 'minio.internal:9000', '*.r2.cloudflarestorage.com', '127.0.0.1:9000', '[::1]:9000'];

test.each([
  // an entry without a port: the scheme's default port only
  ['s3.eu-central-1.amazonaws.com', true, 'https://s3.eu-central-1.amazonaws.com'],
  ['s3.eu-central-1.amazonaws.com:443', true, 'https://s3.eu-central-1.amazonaws.com:443'],
  ['S3.EU-Central-1.amazonaws.COM', true, 'https://s3.eu-central-1.amazonaws.com'],
  ['s3.eu-central-1.amazonaws.com', false, 'http://s3.eu-central-1.amazonaws.com'],
  ['s3.eu-central-1.amazonaws.com:8443', true, 'BLOB-s3-endpoint-not-allowed'],
  ['s3.eu-central-1.amazonaws.com:80', true, 'BLOB-s3-endpoint-not-allowed'],
  // an entry with a port: that port only, with or without ssl
  ['minio.internal:9000', false, 'http://minio.internal:9000'],
  ['minio.internal:9000', true, 'https://minio.internal:9000'],
  ['minio.internal', false, 'BLOB-s3-endpoint-not-allowed'],
  ['minio.internal:9001', false, 'BLOB-s3-endpoint-not-allowed'],
  // a wildcard: one or more labels before the domain, never the domain itself or a look-alike
  ['abc123.r2.cloudflarestorage.com', true, 'https://abc123.r2.cloudflarestorage.com'],
  ['a.b.r2.cloudflarestorage.com', true, 'https://a.b.r2.cloudflarestorage.com'],
  ['r2.cloudflarestorage.com', true, 'BLOB-s3-endpoint-not-allowed'],
  ['evilr2.cloudflarestorage.com', true, 'BLOB-s3-endpoint-not-allowed'],
  ['abc.r2.cloudflarestorage.com.evil.example', true, 'BLOB-s3-endpoint-not-allowed'],
  // addresses are compared after normalisation, so other spellings of an address match it and only it
  ['127.0.0.1:9000', false, 'http://127.0.0.1:9000'],
  ['127.1:9000', false, 'http://127.0.0.1:9000'],
  ['0x7f.0.0.1:9000', false, 'http://127.0.0.1:9000'],
  ['127.0.0.2:9000', false, 'BLOB-s3-endpoint-not-allowed'],
  ['[::1]:9000', false, 'http://[::1]:9000'],
  ['[0:0:0:0:0:0:0:1]:9000', false, 'http://[::1]:9000'],
  ['localhost:9000', false, 'BLOB-s3-endpoint-not-allowed'],
  ['169.254.169.254', false, 'BLOB-s3-endpoint-not-allowed'],
  // not host[:port]: schemes, paths, user info, queries, trailing dots, bad ports
  ['https://s3.eu-central-1.amazonaws.com', true, 'BLOB-s3-endpoint'],
  ['s3.eu-central-1.amazonaws.com/bucket', true, 'BLOB-s3-endpoint'],
  ['user@minio.internal:9000', false, 'BLOB-s3-endpoint'],
  ['minio.internal:9000?x=1', false, 'BLOB-s3-endpoint'],
  ['minio.internal:9000#x', false, 'BLOB-s3-endpoint'],
  ['s3.eu-central-1.amazonaws.com.', true, 'BLOB-s3-endpoint'],
  ['minio.internal:0', false, 'BLOB-s3-endpoint'],
  ['minio.internal:70000', false, 'BLOB-s3-endpoint'],
  ['minio.internal:', false, 'BLOB-s3-endpoint'],
  ['', false, 'BLOB-s3-endpoint'],
  ['minio internal', false, 'BLOB-s3-endpoint'],
  ['%6dinio.internal:9000', false, 'BLOB-s3-endpoint'],
])('endpoint %j with ssl=%s → %s', (endpoint, ssl, expected) => {
  expect(outcome(LIST, endpoint, ssl)).toBe(expected);
});

test('an empty list disables S3, with a message naming the variable', () => {
  const list = parseS3AllowList([]);
  expect(list.enabled).toBe(false);
  expect(() => list.resolve('s3.amazonaws.com', true)).toThrow(
    expect.objectContaining({ id: 'BLOB-s3-disabled', message: expect.stringContaining('IDPORT_S3_ENDPOINTS') }),
  );
});

test.each(['http://minio:9000', 'minio/x', '*.', '*.127.0.0.1', '*.[::1]', 'minio:abc', 'minio:0', 'a@b'])(
  'entry %j is refused at start-up',
  (entry) => {
    expect(() => parseS3AllowList([entry])).toThrow(/IDPORT_S3_ENDPOINTS/);
  },
);

test("IDPORT_S3_ENDPOINTS is split on commas and whitespace; IDPORT_S3_PART_SIZE has S3's minimum", () => {
  expect(loadConfig({}).s3Endpoints).toEqual([]);
  expect(loadConfig({ IDPORT_S3_ENDPOINTS: ' minio:9000, s3.amazonaws.com\n*.r2.cloudflarestorage.com ,' }).s3Endpoints).toEqual([
    'minio:9000',
    's3.amazonaws.com',
    '*.r2.cloudflarestorage.com',
  ]);
  expect(loadConfig({}).s3PartSize).toBe(8 * 1024 * 1024);
  expect(loadConfig({ IDPORT_S3_PART_SIZE: String(5 * 1024 * 1024) }).s3PartSize).toBe(5 * 1024 * 1024);
  expect(() => loadConfig({ IDPORT_S3_PART_SIZE: '1048576' })).toThrow(/IDPORT_S3_PART_SIZE/);
});
