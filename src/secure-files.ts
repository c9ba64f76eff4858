import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A directory only this user can enter (0700), whatever mode it had before: mkdir's mode
 * applies only to directories it creates, so an existing one is chmod-ed (issue 9: the PGlite
 * directory was 0755 with world-readable files).
 */
export async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * Writes a secret file readable by this user only (0600). An existing file is chmod-ed before
 * the secret goes in (writeFile's mode applies only to files it creates: an old 0644
 * `admin.pat` kept its mode and received a new token, issue 9).
 */
export async function writeSecretFile(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const file = await open(path, 'w', 0o600);
  try {
    await file.chmod(0o600);
    await file.truncate(0);
    await file.writeFile(content);
  } finally {
    await file.close();
  }
}

/**
 * Creates a secret file (0600) only if none exists, and says whether it did. The content goes
 * to a private temporary file first, which is then hard-linked into place: link() fails with
 * EEXIST instead of replacing, so two processes starting at once cannot both create it, and
 * neither ever reads a half-written file. For a key, an overwrite would lose everything sealed
 * with it.
 */
export async function createSecretFileOnce(path: string, content: string): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeSecretFile(temporary, content);
  try {
    await link(temporary, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(temporary);
  }
}

/** Makes an existing secret file readable by this user only (a copied 0644 key file, issue 9's class). */
export async function tightenSecretFile(path: string): Promise<boolean> {
  const { mode } = await stat(path);
  if ((mode & 0o777) === 0o600) return false;
  await chmod(path, 0o600);
  return true;
}
