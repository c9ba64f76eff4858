import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { type DomainError, type ErrorKind, isDomainError } from '../../domain/errors.js';
import { detailsOf } from './error-details.js';

const CODE: Record<ErrorKind, Code> = {
  InvalidArgument: Code.InvalidArgument,
  NotFound: Code.NotFound,
  AlreadyExists: Code.AlreadyExists,
  PermissionDenied: Code.PermissionDenied,
  Unauthenticated: Code.Unauthenticated,
  DeadlineExceeded: Code.DeadlineExceeded,
  Unavailable: Code.Unavailable,
  ResourceExhausted: Code.ResourceExhausted,
  FailedPrecondition: Code.FailedPrecondition,
  Aborted: Code.Aborted,
  Internal: Code.Internal,
};

const SERVER_SIDE = new Set<Code>([Code.Internal, Code.Unavailable, Code.Unknown, Code.DataLoss]);

export interface ErrorLog {
  warn(message: string): void;
  error(message: string, cause?: unknown): void;
}

/**
 * Recognises adapter failures that have a meaning of their own (the database unreachable →
 * Unavailable) and returns them as domain errors; undefined for anything else. Built from the
 * adapters in compose.ts, so transport needs no driver knowledge.
 */
export type ErrorClassifier = (e: unknown) => DomainError | undefined;

/**
 * The one place that turns inner-layer errors into ConnectErrors. Domain errors keep their
 * message and stable id, as ZITADEL's `ErrorDetail{id, message}` typed detail (and, for
 * clients of earlier versions, `x-idport-error-id` metadata), plus their structured details
 * (a Struct detail, and `x-idport-error-details`). Anything unexpected becomes INTERNAL with a
 * generic message, and the cause goes to the log only. Logs carry the method and error id,
 * never request or response bodies (which may hold secrets).
 */
export function toConnectError(e: unknown, classify?: ErrorClassifier): ConnectError {
  const known = isDomainError(e) ? e : classify?.(e);
  if (known) {
    const meta = new Headers({ 'x-idport-error-id': known.id });
    if (known.details) meta.set('x-idport-error-details', JSON.stringify(known.details));
    return new ConnectError(known.message, CODE[known.kind], meta, detailsOf(known), known.cause ?? e);
  }
  if (e instanceof ConnectError) return e;
  return new ConnectError('internal error', Code.Internal, undefined, undefined, e);
}

export function createErrorsInterceptor(log: ErrorLog, classify?: ErrorClassifier): Interceptor {
  return (next) => async (req) => {
    const where = `${req.service.typeName}/${req.method.name}`;
    const convert = (e: unknown) => {
      const err = toConnectError(e, classify);
      // The client cancelled or went away: whatever failed after that is not a server fault.
      if (req.signal.aborted) return err;
      if (SERVER_SIDE.has(err.code)) log.error(`${where}: ${Code[err.code]}: ${err.rawMessage}`, err.cause);
      else log.warn(`${where}: ${Code[err.code]} ${err.metadata.get('x-idport-error-id') ?? ''}`.trim());
      return err;
    };
    let res: Awaited<ReturnType<typeof next>>;
    try {
      res = await next(req);
    } catch (e) {
      throw convert(e);
    }
    // A streamed response fails while it is read, after next() has returned.
    return res.stream ? { ...res, message: converting(res.message, convert) } : res;
  };
}

async function* converting<T>(messages: AsyncIterable<T>, convert: (e: unknown) => ConnectError): AsyncGenerator<T> {
  try {
    yield* messages;
  } catch (e) {
    throw convert(e);
  }
}
