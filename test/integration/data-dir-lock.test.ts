import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestApp } from '../support/app.js';

/**
 * Issue 9, class 6: the embedded database has one owner. A second process on the same data
 * directory refuses to start with one line naming the holder; a lock left by a process that
 * is gone is taken over.
 */
const run = promisify(execFile);
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'idport-lock-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

test('a second process on the same data directory exits with one line naming the holder', async () => {
  const dataDir = join(root, 'data');
  const app = await startTestApp({ database: { kind: 'pglite', dataDir } });
  try {
    const second = await run(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, DATABASE_URL: '', IDPORT_HOME: root, IDPORT_DATA_DIR: dataDir, IDPORT_PORT: '0', IDPORT_HOST: '127.0.0.1' },
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    // A start that cannot go on exits 2 with one line (issue 13, src/serve.ts).
    expect(second.code).toBe(2);
    const lines = second.stderr.trim().split('\n');
    expect(lines).toEqual([expect.stringContaining(`is in use by process ${process.pid}`)]);
  } finally {
    await app.close();
  }
}, 90_000);

test('a lock whose process is gone is stale and taken over', async () => {
  const dataDir = join(root, 'data');
  const gone = spawnSync(process.execPath, ['-e', '0']).pid as number;
  await mkdir(dataDir, { recursive: true });
  await writeFile(join(dataDir, 'idport.lock'), `${gone}\n`);
  const app = await startTestApp({ database: { kind: 'pglite', dataDir } });
  await app.close();
});

test('in one process, a second open of the same directory is refused too', async () => {
  const dataDir = join(root, 'data');
  const app = await startTestApp({ database: { kind: 'pglite', dataDir } });
  try {
    await expect(startTestApp({ database: { kind: 'pglite', dataDir } })).rejects.toThrow(/already open in this process/);
  } finally {
    await app.close();
  }
});
