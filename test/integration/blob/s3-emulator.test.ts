/**
 * The S3 emulator itself, so the adapter's tests can be trusted: it checks SigV4 as S3 does
 * (a wrong secret, an unknown key, an unsigned or tampered request are refused), checks signed
 * payload hashes, and enforces S3's 5 MiB minimum part size.
 */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { type S3Emulator, startS3Emulator } from '../../support/s3-emulator.js';

let emulator: S3Emulator;

beforeAll(async () => {
  emulator = await startS3Emulator();
});
afterAll(async () => {
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.reset();
  await emulator.client().send(new CreateBucketCommand({ Bucket: 'b' }));
});

/** The S3 error name and status a promise rejects with. */
async function s3Error(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (error === undefined) throw new Error('expected the request to fail');
  return { name: String(error.name), status: error.$metadata?.httpStatusCode };
}

/** The part of the SDK's HTTP request the tamper functions change. */
interface HttpRequest {
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A client whose requests are changed by `tamper` after the SDK has signed them. */
function tamperingClient(tamper: (request: HttpRequest) => void): S3Client {
  const client = emulator.client();
  client.middlewareStack.add(
    (next) => async (args) => {
      tamper(args.request as unknown as HttpRequest);
      return next(args);
    },
    // After the signer (finalizeRequest), just before the request goes out.
    { step: 'deserialize', name: 'tamper' },
  );
  return client;
}

test('the right key pair writes and reads', async () => {
  await emulator.client().send(new PutObjectCommand({ Bucket: 'b', Key: 'k.json', Body: '{"a":1}' }));
  const got = await emulator.client().send(new GetObjectCommand({ Bucket: 'b', Key: 'k.json' }));
  expect(await got.Body!.transformToString()).toBe('{"a":1}');
});

test('a wrong secret is refused for every operation (what s3rver let through)', async () => {
  await emulator.client().send(new PutObjectCommand({ Bucket: 'b', Key: 'k.json', Body: 'x' }));
  const wrong = emulator.client({ accessKeyId: emulator.accessKeyId, secretAccessKey: `${emulator.secretAccessKey}!` });
  expect(await s3Error(wrong.send(new PutObjectCommand({ Bucket: 'b', Key: 'other.json', Body: 'x' })))).toEqual({
    name: 'SignatureDoesNotMatch',
    status: 403,
  });
  expect(await s3Error(wrong.send(new GetObjectCommand({ Bucket: 'b', Key: 'k.json' })))).toEqual({
    name: 'SignatureDoesNotMatch',
    status: 403,
  });
  // HEAD answers carry no body: only the status says why.
  expect((await s3Error(wrong.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k.json' })))).status).toBe(403);
  expect(Object.keys((await emulator.state()).buckets.b!.objects)).toEqual(['k.json']);
});

test('an unknown access key is InvalidAccessKeyId; an unsigned request is AccessDenied', async () => {
  const unknown = emulator.client({ accessKeyId: 'AKIDUNKNOWN', secretAccessKey: emulator.secretAccessKey });
  expect(await s3Error(unknown.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' })))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
  const res = await fetch(`${emulator.url}/b/k`);
  expect(res.status).toBe(403);
  expect(await res.text()).toContain('<Code>AccessDenied</Code>');
});

test('a request changed after signing is refused: path, signed header, or body', async () => {
  const path = tamperingClient((r) => {
    r.path = r.path.replace('/k.json', '/other.json');
  });
  expect(await s3Error(path.send(new PutObjectCommand({ Bucket: 'b', Key: 'k.json', Body: 'x' })))).toMatchObject({
    name: 'SignatureDoesNotMatch',
  });
  const header = tamperingClient((r) => {
    r.headers['content-type'] = 'text/evil';
  });
  expect(
    await s3Error(header.send(new PutObjectCommand({ Bucket: 'b', Key: 'k.json', Body: 'x', ContentType: 'application/json' }))),
  ).toMatchObject({
    name: 'SignatureDoesNotMatch',
  });
  const body = tamperingClient((r) => {
    r.body = Buffer.from('y');
  });
  expect(await s3Error(body.send(new PutObjectCommand({ Bucket: 'b', Key: 'k.json', Body: 'x' })))).toEqual({
    name: 'XAmzContentSHA256Mismatch',
    status: 400,
  });
  expect((await emulator.state()).buckets.b!.objects).toEqual({});
});

test('a multipart upload with a part below 5 MiB (not the last) is EntityTooSmall', async () => {
  const client = emulator.client();
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: 'b', Key: 'm.json' }));
  const parts = [];
  for (const [n, size] of [
    [1, 1024],
    [2, 10],
  ] as const) {
    const { ETag } = await client.send(
      new UploadPartCommand({ Bucket: 'b', Key: 'm.json', UploadId, PartNumber: n, Body: Buffer.alloc(size) }),
    );
    parts.push({ PartNumber: n, ETag });
  }
  const complete = new CompleteMultipartUploadCommand({ Bucket: 'b', Key: 'm.json', UploadId, MultipartUpload: { Parts: parts } });
  expect(await s3Error(client.send(complete))).toEqual({ name: 'EntityTooSmall', status: 400 });
  expect((await emulator.state()).buckets.b!.objects).toEqual({});
});
