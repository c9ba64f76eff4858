import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Directories this process holds, so a second open in the same process is refused too. */
const held = new Set<string>();

/** Thrown when another process owns the data directory; its message is the one line to print. */
export class DataDirInUse extends Error {
  override readonly name = 'DataDirInUse';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else — still a holder.
    return (e as { code?: string }).code === 'EPERM';
  }
}

/**
 * PGlite is one process's database: two processes on one directory each write their own WAL
 * and pages, and one's committed work is lost (issue 9: an import answered 200 was gone after
 * a restart). A lock file holding the owner's pid, created exclusively, makes the second
 * process refuse to start. A lock whose process is gone (a crash, kill -9) is stale and taken
 * over. Returns the release function.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, 'idport.lock');
  if (held.has(path)) throw new DataDirInUse(`${dataDir} is already open in this process (pid ${process.pid})`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx', 0o600);
      await file.writeFile(`${process.pid}\n`);
      await file.close();
      held.add(path);
      return async () => {
        held.delete(path);
        await unlink(path).catch(() => undefined);
      };
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
      const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new DataDirInUse(
          `the data directory ${dataDir} is in use by process ${pid} (lock ${path}); stop that process or set another IDPORT_DATA_DIR`,
        );
      }
      await unlink(path).catch(() => undefined); // stale: its owner is gone
    }
  }
  throw new DataDirInUse(`could not take the lock ${path}`);
}
