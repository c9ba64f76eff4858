import { type DestinationStream, pino } from 'pino';
import type { LogLevel } from './config.js';

/** Structured context on a line: ids, codes, counts. Never bodies, tokens or hashes. */
export type LogFields = Record<string, unknown>;

/**
 * The logger port every layer that logs is given. Callers pass a message and fields; the
 * fields are ids, codes and counts, and a message is only ever shown after redaction by its
 * proto (transport/observability/redact.ts).
 */
export interface Logger {
  error(message: string, cause?: unknown, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug?(message: string, fields?: LogFields): void;
  /** Whether a level is on, so costly debug fields are only built when they will be written. */
  enabled?(level: LogLevel): boolean;
}

/**
 * JSON lines through pino: `{"level":"info","time":"…","msg":"…",…fields}`, one object per line
 * on stdout (or `destination`), written synchronously so the last lines before an exit are not
 * lost. Causes go under `err` with their stack (pino's standard error serializer).
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const log = pino(
    {
      level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
  return {
    error: (message, cause, fields) => log.error({ ...fields, ...(cause === undefined ? {} : { err: cause }) }, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    debug: (message, fields) => log.debug(fields ?? {}, message),
    enabled: (l) => log.isLevelEnabled(l),
  };
}
