import { type DomainError, unavailable } from '../domain/errors.js';

/**
 * Error codes that mean "the database cannot be reached", not "this request was wrong":
 * socket errors (Node's errno names) and PostgreSQL's SQLSTATE classes 08 (connection
 * exception) and 57P (operator intervention: admin/crash shutdown, cannot connect now), plus
 * 53300 (too many connections). See postgresql.org/docs/15/errcodes-appendix.html.
 */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** node-postgres and the pool say these in words only (no code). */
const UNREACHABLE_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error',
  'timeout exceeded when trying to connect',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
];

function* causes(e: unknown): Generator<Record<string, unknown>> {
  for (let current = e, depth = 0; typeof current === 'object' && current !== null && depth < 8; depth++) {
    yield current as Record<string, unknown>;
    const next = current as { cause?: unknown; previous?: unknown };
    current = next.cause ?? next.previous;
  }
}

/**
 * The database unreachable (stopped, restarting, network gone) as UNAVAILABLE (503): the
 * client may retry, and the cause stays in the log, never in the message (issue 9: these
 * were `500 internal error`). Undefined for any other error.
 */
export function databaseUnavailable(e: unknown): DomainError | undefined {
  for (const c of causes(e)) {
    const code = typeof c.code === 'string' ? c.code : '';
    const message = typeof c.message === 'string' ? c.message : '';
    if (UNREACHABLE_CODES.has(code) || code.startsWith('08') || UNREACHABLE_MESSAGES.some((m) => message.includes(m))) {
      return unavailable('DB-unavailable', 'the database cannot be reached now, try again later', e);
    }
  }
  return undefined;
}
