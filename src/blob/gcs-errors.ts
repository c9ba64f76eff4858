/**
 * Turns what @google-cloud/storage throws into DomainError. The SDK has three error shapes:
 * ApiError (`code` = HTTP status) from JSON-API calls and downloads, GaxiosError (`status`,
 * `response.status`, or a string `code` such as ECONNREFUSED) from resumable uploads, and plain
 * Errors built by its retry loop ("Retry limit exceeded - status: 503 ..."). Some wrap a Node
 * system error in `cause`.
 */
import { DomainError, type ErrorKind } from '../domain/errors.js';
import { SOCKET_ERROR_CODES } from './network-errors.js';

// Node/undici codes that mean "could not talk to the server" rather than "the server said no".
const NETWORK_CODES = new Set([
  ...SOCKET_ERROR_CODES,
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

// The SDK's checksum checks: CONTENT_DOWNLOAD_MISMATCH on reads, FILE_NO_UPLOAD on writes.
const CHECKSUM_CODES = new Set(['CONTENT_DOWNLOAD_MISMATCH', 'FILE_NO_UPLOAD']);

interface Facts {
  status: number | undefined;
  code: string | undefined;
  message: string;
}

/** `where` names the target (`gs://bucket/path`); bucket and object names are not secret. */
export function mapGcsError(error: unknown, where: string): DomainError {
  const facts = collect(error);
  const [kind, id, text] = classify(facts);
  // The cause keeps only plain facts: SDK errors carry request config (headers, maybe a bearer
  // token) that must not travel into logs.
  const cause = new Error(`${facts.status ?? facts.code ?? 'error'}: ${facts.message}`.slice(0, 500));
  return new DomainError(kind, id, `${text} (${where})`, { cause });
}

function classify({ status, code, message }: Facts): [ErrorKind, string, string] {
  if (code !== undefined && CHECKSUM_CODES.has(code)) {
    // Bytes were corrupted in transit; a retry normally succeeds.
    return ['Unavailable', 'BLOB-gcs-checksum', 'GCS transfer failed its checksum check'];
  }
  if (status === 404) return ['NotFound', 'BLOB-gcs-not-found', 'GCS bucket or object not found'];
  if (status === 400) return ['InvalidArgument', 'BLOB-gcs-rejected', 'GCS rejected the request'];
  if (status === 401) return ['Unauthenticated', 'BLOB-gcs-unauthenticated', 'GCS did not accept the service account'];
  if (status === 403) {
    return ['PermissionDenied', 'BLOB-gcs-denied', 'the service account may not access this GCS object'];
  }
  if (status === 412) return ['FailedPrecondition', 'BLOB-gcs-precondition', 'GCS precondition failed'];
  if (status === 408 || status === 429 || (status !== undefined && status >= 500)) {
    return ['Unavailable', 'BLOB-gcs-unavailable', `GCS answered HTTP ${status}`];
  }
  if ((code !== undefined && NETWORK_CODES.has(code)) || /^Retry (total time )?limit exceeded/.test(message)) {
    return ['Unavailable', 'BLOB-gcs-unavailable', 'GCS is unreachable'];
  }
  return ['Internal', 'BLOB-gcs-failed', 'GCS request failed'];
}

function collect(error: unknown): Facts {
  const facts: Facts = { status: undefined, code: undefined, message: '' };
  let current: unknown = error;
  // Walk `cause` a few levels: the status or system code may sit on a wrapped error.
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const e = current as {
      code?: unknown;
      status?: unknown;
      response?: { status?: unknown };
      message?: unknown;
      cause?: unknown;
    };
    facts.status ??= httpStatus(e.code) ?? httpStatus(e.status) ?? httpStatus(e.response?.status);
    if (typeof e.code === 'string') facts.code ??= e.code;
    if (facts.message === '' && typeof e.message === 'string') facts.message = e.message;
    current = e.cause;
  }
  // The retry loop reports the last status only inside its message.
  facts.status ??= httpStatus(Number(/status: (\d{3})/.exec(facts.message)?.[1]));
  return facts;
}

const httpStatus = (v: unknown) => (typeof v === 'number' && v >= 100 && v <= 599 ? v : undefined);
