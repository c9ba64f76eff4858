import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';

/** A stream that may be a terminal (process.stderr, or a test's fake one). */
export type ProgressStream = Writable & { isTTY?: boolean };

export interface LiveBar {
  /**
   * Draws `done` of `total` (undefined: not known yet, the bar counts up without an ETA) with
   * the text fields of the bar's format; the first call starts the bar.
   */
  update(done: number, total: number | undefined, fields: Record<string, string | number>): void;
  /** Draws the last state and gives the line back to the caller's output. */
  stop(): void;
}

/**
 * A live progress bar (cli-progress) when `stream` is a terminal, undefined otherwise: the
 * command then prints its own plain lines, which logs and pipes keep readable (a bar redraws
 * with carriage returns). Shared by `idport jobs watch` and `npm run migrate`.
 *
 * `format` uses cli-progress's tokens (`{bar}`, `{value}`, `{total}`, `{eta_formatted}`) and
 * the caller's fields; `unknownTotal` is drawn while the total is not known. ETA is cli-progress's: the remaining count over the rate of the last
 * `etaBuffer` updates.
 */
export function liveBar(stream: ProgressStream, format: string, unknownTotal = format): LiveBar | undefined {
  if (!stream.isTTY) return undefined;
  let known = true;
  const bar = new cliProgress.SingleBar(
    {
      // While the total is not known yet, `unknownTotal` (no bar, no ETA): a bar at the count
      // so far would be full and claim the end.
      format: (options, params, payload) =>
        cliProgress.Format.Formatter({ ...options, format: known ? format : unknownTotal }, params, payload),
      // cli-progress writes to any stream with `write`; cursor moves go out as escape codes.
      stream: stream as unknown as NodeJS.WritableStream,
      etaBuffer: 20,
      hideCursor: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, fields) {
      known = total !== undefined;
      const shown = Math.max(total ?? done, done, 1);
      if (!started) {
        bar.start(shown, done, fields);
        started = true;
      } else if (bar.getTotal() !== shown) {
        bar.setTotal(shown);
      }
      bar.update(done, fields);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Units per second since `startedAt`, rounded for display. */
export function ratePerSecond(units: number, startedAt: number, now = Date.now()): number {
  const seconds = (now - startedAt) / 1000;
  return seconds > 0 ? Math.round(units / seconds) : 0;
}
