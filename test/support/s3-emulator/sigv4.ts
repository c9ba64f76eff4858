/**
 * Checks AWS Signature Version 4 on a request the way S3 does, with node:crypto, so a client
 * with a wrong secret is refused exactly as by a real store. Only the Authorization-header form
 * (no presigned URLs), for the `s3` service. Specification:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** Why a request was refused: S3's error code, HTTP status and message, plus S3's extra fields. */
export interface AuthFailure {
  status: number;
  code: string;
  message: string;
  extra?: Record<string, string>;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/s3\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;
const MAX_SKEW_MS = 15 * 60 * 1000;

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it: unreserved characters stay, everything else is %XX. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Sorted `name=value` pairs of the raw query string, each side decoded and re-encoded. */
function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  return rawQuery
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const at = pair.indexOf('=');
      const name = decodeURIComponent((at === -1 ? pair : pair.slice(0, at)).replace(/\+/g, '%20'));
      const value = at === -1 ? '' : decodeURIComponent(pair.slice(at + 1).replace(/\+/g, '%20'));
      return [uriEncode(name), uriEncode(value)] as const;
    })
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/**
 * Returns undefined when the signature is right, else why not. `payloadHash` is the request's
 * x-amz-content-sha256 (checked against the body elsewhere, once the body has arrived).
 */
export function verifySignature(req: IncomingMessage, credentials: Credentials, now = Date.now()): AuthFailure | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return { status: 403, code: 'AccessDenied', message: 'Anonymous access is not allowed' };
  const m = AUTH.exec(header);
  if (!m) return { status: 400, code: 'AuthorizationHeaderMalformed', message: 'The authorization header is malformed' };
  const [, accessKeyId, scopeDate, region, signedHeaderList, signature] = m as unknown as [string, string, string, string, string, string];
  if (accessKeyId !== credentials.accessKeyId) {
    return {
      status: 403,
      code: 'InvalidAccessKeyId',
      message: 'The AWS Access Key Id you provided does not exist in our records.',
      extra: { AWSAccessKeyId: accessKeyId },
    };
  }
  if (region !== credentials.region) {
    return {
      status: 400,
      code: 'AuthorizationHeaderMalformed',
      message: `the region '${region}' is wrong; expecting '${credentials.region}'`,
    };
  }
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const parsed = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!parsed || amzDate.slice(0, 8) !== scopeDate) {
    return { status: 403, code: 'AccessDenied', message: 'x-amz-date is missing or does not match the credential scope' };
  }
  const [, y, mo, d, h, mi, s] = parsed.map(Number) as [number, number, number, number, number, number, number];
  if (Math.abs(Date.UTC(y, mo - 1, d, h, mi, s) - now) > MAX_SKEW_MS) {
    return {
      status: 403,
      code: 'RequestTimeTooSkewed',
      message: 'The difference between the request time and the current time is too large.',
    };
  }
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (typeof payloadHash !== 'string') {
    return { status: 400, code: 'InvalidRequest', message: 'Missing required header for this request: x-amz-content-sha256' };
  }

  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host')) return { status: 403, code: 'AccessDenied', message: 'host must be a signed header' };
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = req.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  // S3 signs the path as sent (each segment encoded once by the client), without normalising it.
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const canonicalRequest = [
    req.method ?? 'GET',
    path,
    canonicalQuery(q === -1 ? '' : rawUrl.slice(q + 1)),
    canonicalHeaders,
    signedHeaderList,
    payloadHash,
  ].join('\n');
  const scope = `${scopeDate}/${region}/s3/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, scopeDate), region), 's3'), 'aws4_request');
  const expected = hmac(key, stringToSign);
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    // Real S3 sends these back too: clients must not pass them on.
    return {
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      extra: { AWSAccessKeyId: accessKeyId, StringToSign: stringToSign, SignatureProvided: signature, CanonicalRequest: canonicalRequest },
    };
  }
  return undefined;
}

/**
 * The payload the client signed, from the raw body: a hex SHA-256 must match the body,
 * UNSIGNED-PAYLOAD is taken as is, and STREAMING-UNSIGNED-PAYLOAD-TRAILER bodies (aws-chunked)
 * are decoded. Signed streaming chunks are not supported (the SDK sends them only when asked).
 */
export function decodePayload(payloadHash: string, body: Buffer): { data: Buffer } | AuthFailure {
  if (/^[0-9a-f]{64}$/.test(payloadHash)) {
    if (sha256Hex(body) !== payloadHash) {
      return {
        status: 400,
        code: 'XAmzContentSHA256Mismatch',
        message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
      };
    }
    return { data: body };
  }
  if (payloadHash === 'UNSIGNED-PAYLOAD') return { data: body };
  if (payloadHash === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') {
    const parts: Buffer[] = [];
    let at = 0;
    while (at < body.length) {
      const eol = body.indexOf('\r\n', at);
      if (eol === -1) break;
      const size = Number.parseInt(body.subarray(at, eol).toString('latin1').split(';')[0]!, 16);
      if (!Number.isFinite(size)) break;
      if (size === 0) return { data: Buffer.concat(parts) };
      parts.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    return { status: 400, code: 'IncompleteBody', message: 'aws-chunked body is malformed' };
  }
  return { status: 501, code: 'NotImplemented', message: `x-amz-content-sha256 ${payloadHash} is not supported by the emulator` };
}
