import { DomainError, deadlineExceeded } from '../../domain/errors.js';

/**
 * Stops work once the call's signal fires: the deadline (`timeout`) or the client going away.
 * `committed` says what is already durable, so the caller knows where to resume.
 */
export function checkDeadline(signal: AbortSignal, committed: () => Record<string, unknown>): void {
  if (signal.aborted) throw deadlineError(signal, committed());
}

export function deadlineError(signal: AbortSignal, details: Record<string, unknown>): DomainError {
  const reason = signal.reason;
  // The request's own timeout (callSignal) keeps its id and message, and gains the counts.
  if (reason instanceof DomainError) return new DomainError(reason.kind, reason.id, reason.message, { details });
  return deadlineExceeded('IMPORT-deadline', 'deadline exceeded before the work was complete', details);
}
