/** A minimal leveled logger. Callers pass messages only: never request bodies, tokens or hashes. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, cause?: unknown): void;
}

export function createLogger(level: 'error' | 'warn' | 'info'): Logger {
  const rank = { error: 0, warn: 1, info: 2 }[level];
  const line = (lvl: string, message: string) => `${new Date().toISOString()} ${lvl} ${message}`;
  return {
    info: (m) => rank >= 2 && console.log(line('INFO', m)),
    warn: (m) => rank >= 1 && console.warn(line('WARN', m)),
    error: (m, cause) => {
      const why = cause instanceof Error ? `: ${cause.stack ?? cause.message}` : '';
      console.error(line('ERROR', m + why));
    },
  };
}
