import { invalidArgument } from './errors.js';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a Go `time.ParseDuration` string ("30s", "1m30s", "1.5h", "300ms"), which is what
 * ZITADEL clients put in `timeout`. Returns milliseconds. An empty string means "no timeout".
 */
export function parseDuration(text: string, field = 'timeout'): number | undefined {
  if (text === '') return undefined;
  const match = /^\+?((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.test(text);
  if (!match && text !== '0') {
    throw invalidArgument('DURATION-invalid', `${field} "${text}" is not a duration such as "30s", "10m" or "1h30m"`);
  }
  let ms = 0;
  for (const [, value, unit] of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    ms += Number(value) * (UNIT_MS[unit as string] ?? 0);
  }
  if (!Number.isFinite(ms)) throw invalidArgument('DURATION-invalid', `${field} "${text}" is out of range`);
  return ms;
}
