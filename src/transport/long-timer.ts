/**
 * Node's timers hold a signed 32-bit millisecond count: a delay above 2^31-1 ms (about 24.8
 * days) becomes 1 ms, with only a warning (nodejs.org/api/timers.html, setTimeout). A valid
 * `timeout` of "597h" expired at once (issue 9). Longer delays are chained: each step waits
 * at most the maximum, then the rest.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `fire` after `ms` (any length up to Number.MAX_SAFE_INTEGER); returns a cancel. */
export function setLongTimeout(fire: () => void, ms: number): () => void {
  let timer: NodeJS.Timeout;
  const due = Date.now() + ms;
  const step = (left: number) => {
    timer = setTimeout(
      () => {
        const remaining = due - Date.now();
        if (left > MAX_TIMER_MS && remaining > 0) step(remaining);
        else fire();
      },
      Math.min(Math.max(left, 0), MAX_TIMER_MS),
    );
    timer.unref();
  };
  step(ms);
  return () => clearTimeout(timer);
}
