import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp } from '../support/app.js';

/**
 * Issue 9, class 5 (files): the PGlite data directory is 0700 and the admin token file 0600,
 * whatever existed before: an old 0644 `admin.pat` and a 0755 data directory are tightened
 * before the new token is written.
 */
test('an existing 0755 data directory and 0644 token file are tightened on first start', async () => {
  const root = await mkdtemp(join(tmpdir(), 'idport-modes-'));
  try {
    const dataDir = join(root, 'data');
    const tokenFile = join(root, 'admin.pat');
    await mkdir(dataDir, { mode: 0o755 });
    await writeFile(tokenFile, 'stale\n', { mode: 0o644 });
    const app = await startTestApp({ database: { kind: 'pglite', dataDir }, adminTokenFile: tokenFile });
    try {
      expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
      expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
      expect(app.bootstrapToken).toEqual(expect.any(String));
    } finally {
      await app.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
