import { ForeignKeyConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { DomainError } from '../../domain/errors.js';

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
  return e;
}
