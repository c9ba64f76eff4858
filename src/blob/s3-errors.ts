/**
 * Turns what @aws-sdk/client-s3 throws into DomainError. The SDK throws S3ServiceException
 * subclasses whose `name` is S3's error code (NoSuchKey, AccessDenied, ...) with
 * `$metadata.httpStatusCode`; HEAD answers carry no body, so only the status is known (`name`
 * is then "NotFound", "Forbidden" or the bare status). Transport failures are Node system errors
 * (`code` ECONNREFUSED, ...) or the request handler's "TimeoutError".
 *
 * Nothing from the error object goes into the DomainError as is: S3 error bodies may carry the
 * access key id (InvalidAccessKeyId) and the string that was signed, and the SDK keeps request
 * details on the error. The message is fixed text plus the target; the cause keeps only the
 * code, status and message, with the request's credentials masked out.
 */
import { DomainError, type ErrorKind } from '../domain/errors.js';
import { SOCKET_ERROR_CODES } from './network-errors.js';

const NETWORK_CODES = new Set([...SOCKET_ERROR_CODES, 'ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO']);

// S3 error codes by meaning (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
const NOT_FOUND = new Set(['NoSuchBucket', 'NoSuchKey', 'NotFound', 'NoSuchUpload']);
const DENIED = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'AccountProblem',
  'AllAccessDisabled',
  'Forbidden',
  'RequestTimeTooSkewed',
]);
const UNAVAILABLE = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'TimeoutError',
  'RequestTimeoutException',
]);

interface Facts {
  name: string | undefined;
  status: number | undefined;
  code: string | undefined;
  message: string;
}

/**
 * `where` names the target (`s3://host/bucket/key`: not secret). `secrets` are masked wherever
 * they might appear in the kept cause.
 */
export function mapS3Error(error: unknown, where: string, secrets: readonly string[]): DomainError {
  const facts = collect(error);
  const [kind, id, text] = classify(facts);
  let detail = `${facts.name ?? facts.code ?? 'error'} ${facts.status ?? ''}: ${facts.message}`.slice(0, 500);
  for (const secret of secrets) if (secret !== '') detail = detail.split(secret).join('***');
  return new DomainError(kind, id, `${text} (${where})`, { cause: new Error(detail) });
}

function classify({ name, status, code, message }: Facts): [ErrorKind, string, string] {
  if ((name !== undefined && NOT_FOUND.has(name)) || status === 404) {
    return ['NotFound', 'BLOB-s3-not-found', 'S3 bucket or object not found'];
  }
  if ((name !== undefined && DENIED.has(name)) || status === 401 || status === 403) {
    return ['PermissionDenied', 'BLOB-s3-denied', 'S3 refused the credentials or denied access'];
  }
  if (status === 301 || status === 307 || name === 'PermanentRedirect') {
    return ['InvalidArgument', 'BLOB-s3-redirect', 'S3 answered with a redirect: the bucket lives at another endpoint'];
  }
  if (
    (name !== undefined && UNAVAILABLE.has(name)) ||
    status === 408 ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    (code !== undefined && NETWORK_CODES.has(code)) ||
    /socket hang up|connect ETIMEDOUT|Connection timed out/i.test(message)
  ) {
    return ['Unavailable', 'BLOB-s3-unavailable', status === undefined ? 'S3 endpoint is unreachable' : `S3 answered HTTP ${status}`];
  }
  if (status === 400) return ['InvalidArgument', 'BLOB-s3-rejected', 'S3 rejected the request'];
  if (status === 409 || status === 412) return ['FailedPrecondition', 'BLOB-s3-conflict', 'S3 refused the request in its current state'];
  return ['Internal', 'BLOB-s3-failed', 'S3 request failed'];
}

function collect(error: unknown): Facts {
  const facts: Facts = { name: undefined, status: undefined, code: undefined, message: '' };
  let current: unknown = error;
  // The system error (ECONNREFUSED, ...) may sit in `cause`, or in `errors` of an AggregateError
  // (Node's happy-eyeballs connect tries every address).
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const e = current as {
      name?: unknown;
      code?: unknown;
      $metadata?: { httpStatusCode?: unknown };
      message?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    const status = e.$metadata?.httpStatusCode;
    if (typeof status === 'number' && status >= 100 && status <= 599) facts.status ??= status;
    if (typeof e.name === 'string' && e.name !== 'Error' && e.name !== 'AggregateError') facts.name ??= e.name;
    if (typeof e.code === 'string') facts.code ??= e.code;
    if (facts.message === '' && typeof e.message === 'string') facts.message = e.message;
    current = e.cause ?? (Array.isArray(e.errors) ? e.errors[0] : undefined);
  }
  // A bare status as name ("403") says nothing beyond the status.
  if (facts.name !== undefined && /^\d{3}$/.test(facts.name)) facts.name = undefined;
  // Where a system error is not `instanceof Error` (another realm, e.g. a VM context), the
  // SDK's retry layer keeps only its text ("AWS SDK error wrapper for Error: connect
  // ECONNREFUSED ..."): read the code from there.
  facts.code ??= /\b(E[A-Z]{3,}|ERR_[A-Z_]+|UND_ERR_[A-Z_]+)\b/.exec(facts.message)?.[1];
  return facts;
}
