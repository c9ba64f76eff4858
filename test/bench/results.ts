/**
 * The result file's vocabulary: one row count, one way to form a ratio, and cases that record
 * a failure instead of ending the run. Pure, so test/unit/bench/results.test.ts can pin it.
 */
import { loadavg } from 'node:os';

/** The one definition of "rows" every rows/s figure and ratio in a result file uses. */
export const ROWS_DEFINITION =
  'resources in the export file: each org head, every list entry and every setting object ' +
  '(a user_secret row is part of its user, not a row of its own)';

/** 1-, 5- and 15-minute load averages (os.loadavg), rounded to two decimals. */
export type Load = [number, number, number];

export const currentLoad = (source: () => number[] = loadavg): Load => {
  const [a = 0, b = 0, c = 0] = source().map((v) => Math.round(v * 100) / 100);
  return [a, b, c];
};

export type CaseResult<T> =
  | ({ ok: true } & T & { load: { start: Load; end: Load } })
  | { ok: false; error: string; load: { start: Load; end: Load } };

/**
 * Runs one case. A case that throws is recorded as `{ok: false, error}` and the run goes on:
 * the bench measures what works today and names what does not.
 */
export async function runCase<T extends object>(
  name: string,
  work: () => Promise<T>,
  deps: { load?: () => number[]; log?: (line: string) => void } = {},
): Promise<CaseResult<T>> {
  const source = deps.load ?? loadavg;
  const start = currentLoad(source);
  try {
    const figures = await work();
    return { ok: true, ...figures, load: { start, end: currentLoad(source) } };
  } catch (e) {
    const error = (e instanceof Error ? e.message : String(e)).slice(0, 2000);
    deps.log?.(`  ${name} FAILED: ${error}`);
    return { ok: false, error, load: { start, end: currentLoad(source) } };
  }
}

/** Rows per second, whole. */
export const rate = (rows: number, ms: number): number => (ms > 0 ? Math.round((rows / ms) * 1000) : 0);

/**
 * subject / reference as a rate ratio (rows/s over rows/s), to three decimals. With the same
 * rows on both sides it is reference time / subject time: above 1 means faster than the reference.
 */
export function ratio(subject: { rows: number; ms: number }, reference: { rows: number; ms: number }): number | null {
  if (!(subject.ms > 0 && reference.ms > 0 && reference.rows > 0)) return null;
  return Math.round((subject.rows / subject.ms) * (reference.ms / reference.rows) * 1000) / 1000;
}

export type CopyTool = 'pg-copy-streams' | 'psql';

/** The COPY reference is the faster of the two loads of the same prebuilt rows. */
export function fasterCopy(times: Record<CopyTool, number | undefined>): { by: CopyTool; ms: number } | undefined {
  const done = (Object.entries(times) as [CopyTool, number | undefined][]).filter((e): e is [CopyTool, number] => (e[1] ?? 0) > 0);
  if (done.length === 0) return undefined;
  const [by, ms] = done.reduce((a, b) => (b[1] < a[1] ? b : a));
  return { by, ms };
}

export const mb = (bytes: number): number => Math.round(bytes / 1024 / 1024);

/** Figures for one timed step over `rows` resources, with its ratio when there is a reference. */
export function figures(
  step: { ms: number; rows: number; peakRssBytes?: number },
  reference?: { rows: number; ms: number; name: string },
): { ms: number; rows: number; rowsPerSec: number; peakRssMb?: number; ratio?: number | null; ratioAgainst?: string } {
  const out: ReturnType<typeof figures> = { ms: Math.round(step.ms), rows: step.rows, rowsPerSec: rate(step.rows, step.ms) };
  if (step.peakRssBytes !== undefined) out.peakRssMb = mb(step.peakRssBytes);
  if (reference) {
    out.ratio = ratio(step, reference);
    out.ratioAgainst = reference.name;
  }
  return out;
}

/** `bench/results/<ISO time>-<users>[-quick].json`, safe on every file system. */
export function resultFileName(date: Date, users: number, quick: boolean): string {
  return `${date.toISOString().replace(/[:.]/g, '-')}-${users}${quick ? '-quick' : ''}.json`;
}
