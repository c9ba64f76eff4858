import { PassThrough } from 'node:stream';
import { createMigrateProgress, formatProgress, type ProgressEvent } from '../../../src/cli/migrate.js';

// What `npm run migrate` writes on stderr while it runs: plain per-org lines when stderr is no
// terminal (logs, pipes: the lines test/api/migrate-cli.test.ts checks end to end), a live bar
// with rate and ETA on one. The terminal is a PassThrough flagged isTTY; time is a fake clock.

function stream(tty: boolean) {
  const s = Object.assign(new PassThrough(), tty ? { isTTY: true, columns: 120 } : {});
  let text = '';
  s.setEncoding('utf8').on('data', (c: string) => {
    text += c;
  });
  return { s, text: () => text };
}

const events: ProgressEvent[] = [
  { side: 'source', step: 'read', orgId: 'o1', orgName: 'One', resources: 10, orgsTotal: 4 },
  { side: 'target', step: 'imported', orgId: 'o1', orgName: 'One', resources: 10, calls: 1, errors: 0 },
  { side: 'source', step: 'read', orgId: 'o2', orgName: 'Two', resources: 30, orgsTotal: 4 },
  { side: 'target', step: 'imported', orgId: 'o2', orgName: 'Two', resources: 30, calls: 2, errors: 0 },
];

/**
 * The line a terminal shows last. cli-progress redraws by moving the cursor to column 1
 * (readline.cursorTo: ESC [ n G) and clearing the rest (ESC [ 0 K); ESC 7 / ESC 8 save and
 * restore the cursor.
 */
const ESC = String.fromCharCode(27);
const TO_COLUMN = new RegExp(`${ESC}\\[\\d*G`);
const CODES = new RegExp(`${ESC}(\\[[0-9;?]*[A-Za-z]|[78])`, 'g');
const visible = (text: string) => text.replace(CODES, '');
const lastFrame = (text: string) =>
  visible(
    text
      .split(TO_COLUMN)
      .filter((f) => visible(f).trim() !== '')
      .at(-1) ?? '',
  ).trim();

test('not on a terminal: one plain line per org the target took, as before; no bar, no escape codes', () => {
  const out = stream(false);
  const progress = createMigrateProgress(out.s);
  for (const e of events) progress.onProgress(e);
  progress.stop();
  expect(out.text()).toBe(
    [
      'migrate: target: org o1 (One): imported, 10 resource(s) in 1 call(s), 0 error(s)',
      'migrate: target: org o2 (Two): imported, 30 resource(s) in 2 call(s), 0 error(s)',
      '',
    ].join('\n'),
  );
  expect(out.text()).toBe(
    `${events
      .filter((e) => e.side === 'target')
      .map((e) => `${formatProgress(e)}\n`)
      .join('')}`,
  );
});

test('on a terminal: a live bar with orgs done of the source’s total, resources per second and an ETA', () => {
  const out = stream(true);
  let now = 1_000_000;
  const progress = createMigrateProgress(out.s, () => now);
  progress.onProgress(events[0] as ProgressEvent);
  now += 1000;
  progress.onProgress(events[1] as ProgressEvent);
  now += 1000;
  progress.onProgress(events[2] as ProgressEvent);
  progress.onProgress(events[3] as ProgressEvent);
  progress.stop();
  const frame = lastFrame(out.text());
  // 40 resources in 2 s; 2 of 4 orgs. No per-org line: the bar is the progress.
  expect(frame).toMatch(/^migrate \[[█░]+\] 2\/4 orgs \| 20 resources\/s \| eta \S+ \| Two$/);
  expect(out.text()).not.toContain('migrate: target:');
  // The first frame drew 1 of 4 at 10 resources/s: the bar redraws in place as orgs go in.
  expect(visible(out.text())).toContain('1/4 orgs | 10 resources/s');
});

test('on a terminal, a source that names no total: a count with the rate, no bar and no ETA', () => {
  const out = stream(true);
  let now = 0;
  const progress = createMigrateProgress(out.s, () => now);
  now = 500;
  progress.onProgress({ side: 'target', step: 'sent', orgId: 'o9', resources: 50, calls: 1 });
  progress.onProgress({ side: 'target', step: 'later-passes', orgId: 'o9', resources: 50, calls: 1, errors: 0 });
  progress.stop();
  expect(lastFrame(out.text())).toBe('migrate 1 orgs | 200 resources/s | o9');
});
