import { DriverException, ForeignKeyConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { DomainError } from '../../domain/errors.js';

/**
 * SQLSTATE class 22 (data exception) and NOT NULL violations: the database refused a value of
 * one resource. Reported by what went wrong, never with the driver's text (it can quote the value).
 * Codes from the PostgreSQL manual, appendix A "PostgreSQL Error Codes".
 */
const VALUE_ERRORS: Readonly<Record<string, string>> = {
  '22001': 'a value is longer than its column allows',
  '22003': 'a number is out of range',
  '22007': 'a date or time is malformed',
  '22008': 'a date or time is out of range',
  '22021': 'a text value holds bytes that are not valid in UTF-8',
  '22P02': 'a value has the wrong format',
  '22P05': 'a text value holds a character the database cannot store (NUL)',
  '23502': 'a required value is missing',
};

function sqlState(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 4; cur = (cur as { cause?: unknown }).cause, depth++) {
    const c = cur as { code?: unknown; sqlState?: unknown };
    const code = typeof c.sqlState === 'string' ? c.sqlState : typeof c.code === 'string' ? c.code : undefined;
    if (code && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** Turns driver exceptions into domain errors for one resource; anything else passes through. */
export function translateDbError(e: unknown, what: string): unknown {
  if (e instanceof UniqueConstraintViolationException) {
    return new DomainError('AlreadyExists', 'DB-unique', `${what} already exists`, { cause: e });
  }
  if (e instanceof ForeignKeyConstraintViolationException) {
    return new DomainError('FailedPrecondition', 'DB-reference', `${what} refers to something that does not exist`, {
      cause: e,
    });
  }
  const code = sqlState(e);
  if (e instanceof DriverException || code !== undefined) {
    const problem =
      code === undefined ? undefined : (VALUE_ERRORS[code] ?? (code.startsWith('22') ? 'a value is malformed or out of range' : undefined));
    if (problem) return new DomainError('InvalidArgument', 'DB-value', `the database refused ${what}: ${problem}`, { cause: e });
  }
  return e;
}
