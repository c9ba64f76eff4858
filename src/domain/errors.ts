/**
 * The one error type of idport's inner layers. `kind` uses the gRPC status vocabulary so the
 * transport edge can translate it without guessing; `id` is a stable identifier clients and
 * tests can match on (the message text may change).
 */
export type ErrorKind =
  | 'InvalidArgument'
  | 'NotFound'
  | 'AlreadyExists'
  | 'PermissionDenied'
  | 'Unauthenticated'
  | 'DeadlineExceeded'
  | 'Unavailable'
  | 'ResourceExhausted'
  | 'FailedPrecondition'
  | 'Aborted'
  | 'Internal';

export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly kind: ErrorKind,
    readonly id: string,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.details = options?.details;
  }

  /** Extra structured facts for the client (never secrets). */
  readonly details: Record<string, unknown> | undefined;
}

/** Works across module copies, unlike `instanceof` (the protobuf-es `isFieldError` pattern). */
export function isDomainError(e: unknown): e is DomainError {
  return e instanceof Error && e.name === 'DomainError' && 'kind' in e;
}

export const invalidArgument = (id: string, message: string, cause?: unknown) => new DomainError('InvalidArgument', id, message, { cause });
export const notFound = (id: string, message: string) => new DomainError('NotFound', id, message);
export const alreadyExists = (id: string, message: string) => new DomainError('AlreadyExists', id, message);
export const unauthenticated = (id: string, message: string) => new DomainError('Unauthenticated', id, message);
export const permissionDenied = (id: string, message: string) => new DomainError('PermissionDenied', id, message);
export const unavailable = (id: string, message: string, cause?: unknown) => new DomainError('Unavailable', id, message, { cause });
export const deadlineExceeded = (id: string, message: string, details?: Record<string, unknown>) =>
  new DomainError('DeadlineExceeded', id, message, details === undefined ? undefined : { details });
export const resourceExhausted = (id: string, message: string) => new DomainError('ResourceExhausted', id, message);
export const failedPrecondition = (id: string, message: string) => new DomainError('FailedPrecondition', id, message);
