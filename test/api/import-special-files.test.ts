/**
 * Issue 9, starvation: what sits in IDPORT_IMPORT_DIR can neither hang an import nor the
 * imports behind it, nor blow up memory. A FIFO with no writer, a directory and a character
 * device are refused at once (INVALID_ARGUMENT, on every protocol) and a regular file named
 * next is imported as usual. A file with 140 MiB outside its orgs is refused without the
 * server's memory growing anywhere near that: one value that long INVALID_ARGUMENT (the JSON
 * string bound), many values under that bound RESOURCE_EXHAUSTED (the outline bound).
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Code } from '@connectrpc/connect';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { expectCode, expectOk } from '../support/import-client.js';
import { dataOrg } from '../support/import-data.js';
import { type Caller, createCaller, PROTOCOLS } from '../support/protocols.js';

let app: TestApp;
const importData = AdminService.method.importData;

/** Special files by name; a device only where the test may make one (mknod needs root). */
const SPECIAL = ['pipe.json', 'folder.json', ...(process.getuid?.() === 0 ? ['zero.json'] : [])];

beforeAll(async () => {
  app = await startTestApp();
  execFileSync('mkfifo', [join(app.importDir, 'pipe.json')]);
  await mkdir(join(app.importDir, 'folder.json'));
  // /dev/zero's numbers (Linux devices.txt: char 1,5): endless bytes, never an end of file.
  if (SPECIAL.includes('zero.json')) execFileSync('mknod', [join(app.importDir, 'zero.json'), 'c', '1', '5']);
}, 60_000);
afterAll(() => app?.close());

describe.each(PROTOCOLS)('over %s', (protocol) => {
  let caller: Caller;
  beforeAll(() => {
    caller = createCaller(protocol, app.url);
  });
  afterAll(() => caller.close());

  test.each(SPECIAL)('%s is refused at once, and the regular file named after it is imported', async (name) => {
    const orgId = `sf-${protocol}-${name.split('.')[0]}`;
    await writeFile(join(app.importDir, `${orgId}.json`), JSON.stringify({ orgs: [dataOrg(orgId, `Org ${orgId}`)] }));
    // Both sent together, the special file first: the second does not wait behind the first.
    const [special, regular] = await Promise.all([
      caller.call(importData, { dataOrgsLocal: { path: name }, timeout: '10m' }, { token: app.token }),
      caller.call(importData, { dataOrgsLocal: { path: `${orgId}.json` }, timeout: '10m' }, { token: app.token }),
    ]);
    expectCode(special, Code.InvalidArgument);
    if (!special.ok) expect(special.message).toMatch(/regular file/);
    expect(expectOk(regular).errors ?? []).toEqual([]);
  });
});

const MiB = 1024 * 1024;

/** Writes `{"note":<note>,"orgs":[]}` with `pieces` strings of `size` bytes as the note. */
async function writeOutline(name: string, pieces: number, size: number): Promise<void> {
  const out = createWriteStream(join(app.importDir, name));
  const piece = Buffer.alloc(size, 0x61);
  out.write(pieces === 1 ? '{"note":' : '{"note":[');
  for (let i = 0; i < pieces; i++) {
    out.write(i ? ',"' : '"');
    if (!out.write(piece)) await once(out, 'drain');
    out.write('"');
  }
  out.end(pieces === 1 ? ',"orgs":[]}' : '],"orgs":[]}');
  await finished(out);
}

// Generated here, never committed.
const HUGE = [
  { name: 'one-value.json', pieces: 1, size: 140 * MiB, code: Code.InvalidArgument },
  { name: 'many-values.json', pieces: 140, size: MiB - 1024, code: Code.ResourceExhausted },
];

describe.each(HUGE)('140 MiB outside the orgs: $name', ({ name, pieces, size, code }) => {
  beforeAll(() => writeOutline(name, pieces, size), 60_000);
  afterAll(() => rm(join(app.importDir, name), { force: true }));

  test.each(['connect-json', 'grpc'] as const)(
    `over %s: ${Code[code]}, and memory grows by far less than the file`,
    async (protocol) => {
      const caller = createCaller(protocol, app.url);
      try {
        const before = process.memoryUsage().rss;
        let peak = before;
        const sampler = setInterval(() => {
          peak = Math.max(peak, process.memoryUsage().rss);
        }, 5);
        const result = await caller.call(importData, { dataOrgsLocal: { path: name }, timeout: '10m' }, { token: app.token });
        clearInterval(sampler);
        peak = Math.max(peak, process.memoryUsage().rss);
        expectCode(result, code);
        // The app runs in this process: its growth is ours. Holding the value would add 140 MiB
        // at least (4.5 GB before the scanner kept bytes); generous for the GC's own slack.
        expect((peak - before) / MiB).toBeLessThan(100);
      } finally {
        caller.close();
      }
    },
    60_000,
  );
});
