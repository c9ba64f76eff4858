import { invalidArgument } from './errors.js';

/** Nanoseconds per unit, as Go's time package names them. */
const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Go's time.Duration is an int64 of nanoseconds: the longest one is 2562047h47m16.854775807s. */
const MAX_NS = (1n << 63n) - 1n;

/** The longest duration accepted anywhere (`timeout`, `IDPORT_ADMIN_TOKEN_TTL`), in milliseconds. */
export const MAX_DURATION_MS = Number(MAX_NS / 1_000_000n);

/** One component: digits, an optional fraction, a unit (Go accepts "5.s" and ".5s", not "."). */
const COMPONENT = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go `time.ParseDuration` string ("30s", "1m30s", "1.5h", "300ms", "-1s"), which is
 * what ZITADEL clients put in `timeout`, with Go's syntax and range: beyond
 * 2562047h47m16.854775807s (int64 nanoseconds) Go fails with "invalid duration", and so do we,
 * as INVALID_ARGUMENT. Returns milliseconds (negative for a negative duration). An empty string
 * means "no timeout".
 *
 * Go's rules (src/time/format.go, ParseDuration): an optional sign, then one or more
 * number+unit pairs; "0" alone needs no unit; a number needs a digit before or after its dot.
 */
export function parseDuration(text: string, field = 'timeout'): number | undefined {
  if (text === '') return undefined;
  const invalid = () => invalidArgument('DURATION-invalid', `${field} "${text}" is not a duration such as "30s", "10m" or "1h30m"`);
  let rest = text;
  let negative = false;
  if (rest[0] === '-' || rest[0] === '+') {
    negative = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0n;
  COMPONENT.lastIndex = 0;
  while (COMPONENT.lastIndex < rest.length) {
    const at = COMPONENT.lastIndex;
    const m = COMPONENT.exec(rest);
    if (!m || m.index !== at) throw invalid();
    const [, whole = '', fraction = '', unit = ''] = m;
    if (whole === '' && fraction === '') throw invalid();
    const unitNs = UNIT_NS[unit] as bigint;
    total += BigInt(whole || '0') * unitNs;
    if (fraction !== '') total += (BigInt(fraction) * unitNs) / 10n ** BigInt(fraction.length);
    if (total > MAX_NS + (negative ? 1n : 0n)) {
      throw invalidArgument(
        'DURATION-range',
        `${field} "${text}" is longer than the longest duration, 2562047h47m16.854775807s (Go's time.Duration)`,
      );
    }
  }
  const ms = Number(total) / 1e6;
  return negative ? -ms : ms;
}
