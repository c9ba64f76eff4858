/**
 * The bench's pure parts (test/bench): how a ratio is formed, which COPY is the reference, that a
 * failing case is recorded instead of ending the run, and the COPY text codec both references
 * rely on. No timing is asserted anywhere.
 */
import { copyValue, fromCopyText } from '../../bench/copy-rows.js';
import { fasterCopy, figures, ratio, resultFileName, runCase } from '../../bench/results.js';
import { newRunId, scratchName } from '../../bench/scratch-db.js';
import { serverEnvironment } from '../../bench/server-process.js';

describe('ratio', () => {
  test('with the same rows on both sides it is reference time over subject time', () => {
    expect(ratio({ rows: 1000, ms: 4000 }, { rows: 1000, ms: 1000 })).toBe(0.25);
    expect(ratio({ rows: 1000, ms: 800 }, { rows: 1000, ms: 1000 })).toBe(1.25);
  });

  test('with different rows it compares rates', () => {
    // 500 rows/s against 1000 rows/s.
    expect(ratio({ rows: 500, ms: 1000 }, { rows: 2000, ms: 2000 })).toBe(0.5);
  });

  test('is null when either side has no time or the reference no rows', () => {
    expect(ratio({ rows: 10, ms: 0 }, { rows: 10, ms: 5 })).toBeNull();
    expect(ratio({ rows: 10, ms: 5 }, { rows: 0, ms: 5 })).toBeNull();
  });
});

describe('fasterCopy', () => {
  test('picks the faster of the two loads', () => {
    expect(fasterCopy({ 'pg-copy-streams': 2900, psql: 2500 })).toEqual({ by: 'psql', ms: 2500 });
    expect(fasterCopy({ 'pg-copy-streams': 2100, psql: 2500 })).toEqual({ by: 'pg-copy-streams', ms: 2100 });
  });

  test('leaves out a load that failed, and gives none when both did', () => {
    expect(fasterCopy({ 'pg-copy-streams': undefined, psql: 2500 })).toEqual({ by: 'psql', ms: 2500 });
    expect(fasterCopy({ 'pg-copy-streams': undefined, psql: undefined })).toBeUndefined();
  });
});

describe('figures', () => {
  test('rates, peak RSS in MiB and the ratio with the name of its reference', () => {
    expect(figures({ ms: 2000.4, rows: 3000, peakRssBytes: 300 * 1024 * 1024 }, { name: 'COPY (psql)', rows: 3000, ms: 1000 })).toEqual({
      ms: 2000,
      rows: 3000,
      rowsPerSec: 1500,
      peakRssMb: 300,
      ratio: 0.5,
      ratioAgainst: 'COPY (psql)',
    });
  });

  test('without a reference there is no ratio', () => {
    expect(figures({ ms: 1000, rows: 10 })).toEqual({ ms: 1000, rows: 10, rowsPerSec: 10 });
  });
});

describe('runCase', () => {
  const loads = [
    [1, 2, 3],
    [4.567, 5, 6],
  ];

  test('a case that succeeds keeps its figures and the load at its start and end', async () => {
    let call = 0;
    const result = await runCase('x', async () => ({ ms: 5 }), { load: () => loads[call++] as number[] });
    expect(result).toEqual({ ok: true, ms: 5, load: { start: [1, 2, 3], end: [4.57, 5, 6] } });
  });

  test('a case that throws is recorded with its error and the run goes on', async () => {
    const lines: string[] = [];
    const result = await runCase(
      'one-org import',
      async () => {
        throw new Error('org 900000 is larger than 503316480 bytes');
      },
      { load: () => [0, 0, 0], log: (l) => lines.push(l) },
    );
    expect(result).toEqual({ ok: false, error: 'org 900000 is larger than 503316480 bytes', load: { start: [0, 0, 0], end: [0, 0, 0] } });
    expect(lines).toEqual(['  one-org import FAILED: org 900000 is larger than 503316480 bytes']);
  });
});

describe('COPY text', () => {
  test.each([
    ['plain', 'plain'],
    ['json with \\"escapes\\" and \\\\ backslashes', 'json with \\"escapes\\" and \\\\ backslashes'],
    ['tab\tnew\nline\rcr', 'tab\tnew\nline\rcr'],
  ])('what copyValue writes, fromCopyText reads back: %j', (value, expected) => {
    expect(fromCopyText(copyValue(value))).toBe(expected);
  });

  test("\\N is NULL, and PostgreSQL's other escapes are decoded", () => {
    expect(fromCopyText('\\N')).toBeNull();
    expect(copyValue(null)).toBe('\\N');
    expect(fromCopyText('a\\bb\\fc\\vd')).toBe('a\bb\fc\vd');
  });
});

describe('scratch databases', () => {
  test('names carry the run id, so two runs never share one', () => {
    const a = newRunId();
    const b = newRunId();
    expect(a).not.toBe(b);
    expect(scratchName(a, 'main')).toBe(`idport_bench_${a}_main`);
  });

  test('a name that would need quoting is refused', () => {
    expect(() => scratchName('abcd', 'my-db')).toThrow('not a plain database name');
  });
});

test('result file names sort by time and say the size and the mode', () => {
  expect(resultFileName(new Date('2026-12-02T00:52:41.409Z'), 50000, true)).toBe('2026-12-02T00-52-41-409Z-50000-quick.json');
  expect(resultFileName(new Date('2026-12-02T00:52:41.409Z'), 1000000, false)).toBe('2026-12-02T00-52-41-409Z-1000000.json');
});

describe('serverEnvironment', () => {
  const parent = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test', PATH: '/bin', NODE_OPTIONS: '--inspect' };

  test('a case without a database of its own runs on the embedded one, not the bench server', () => {
    const env = serverEnvironment(parent, { IDPORT_DATA_DIR: '/tmp/x' }, '/tmp/home');
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env).toMatchObject({ PATH: '/bin', IDPORT_DATA_DIR: '/tmp/x', IDPORT_HOME: '/tmp/home', NODE_OPTIONS: '' });
  });

  test('a case that names its database gets that one', () => {
    expect(serverEnvironment(parent, { DATABASE_URL: 'postgresql://h/idport_bench_ab_main' }, '/h').DATABASE_URL).toBe(
      'postgresql://h/idport_bench_ab_main',
    );
  });
});
