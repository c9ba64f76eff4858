/**
 * BlobStorage for `local` targets: files under a configured export directory (writes) and
 * import directory (reads). A target path is client input, so it must stay inside its root,
 * also after symlinks are followed. Writes go to a temp file in the target's directory and are
 * renamed into place, so readers never see a partial export (rename is atomic within a
 * filesystem, and the same directory guarantees the same filesystem).
 */
import { randomUUID } from 'node:crypto';
import { constants, type FileHandle, mkdir, open, realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { DomainError, invalidArgument, isDomainError, notFound } from '../domain/errors.js';
import { abortable, blobDeadline } from './abort.js';
import type { LocalBlobStorage, TargetOf } from './blob-storage.js';
import { fileReader } from './spool.js';

export interface LocalBlobStorageOptions {
  /** Root for `write`. Created on first use if missing. */
  exportDir: string;
  /** Root for `read`. */
  importDir: string;
}

const READ_CHUNK_BYTES = 256 * 1024;

export function createLocalBlobStorage(options: LocalBlobStorageOptions): LocalBlobStorage {
  return {
    check(target) {
      checkRelative(target);
    },

    async write(target, chunks, signal) {
      if (signal.aborted) throw blobDeadline();
      const relative = checkRelative(target);
      let temp: string | undefined;
      let file: FileHandle | undefined;
      let sourceFailed = false;
      try {
        await mkdir(options.exportDir, { recursive: true });
        const root = await realpath(options.exportDir);
        const destination = path.join(root, relative);
        const directory = path.dirname(destination);
        // Check before mkdir (a symlinked ancestor must not make us create directories
        // elsewhere) and after it (the tree may have changed in between).
        assertInside(root, await nearestExisting(directory), target);
        await mkdir(directory, { recursive: true });
        assertInside(root, await realpath(directory), target);

        temp = path.join(directory, `.${path.basename(destination)}.${randomUUID()}.tmp`);
        // 0600: exports can hold password hashes and OTP secrets.
        file = await open(temp, 'wx', 0o600);
        const source = abortable(chunks, signal);
        while (true) {
          let next: IteratorResult<Uint8Array>;
          try {
            next = await source.next();
          } catch (e) {
            sourceFailed = true;
            throw e;
          }
          if (next.done) break;
          await writeAll(file, next.value);
        }
        await file.sync();
        await file.close();
        file = undefined;
        if (signal.aborted) throw blobDeadline();
        await rename(temp, destination);
        temp = undefined;
      } catch (e) {
        await file?.close().catch(() => undefined);
        if (temp !== undefined) await unlink(temp).catch(() => undefined);
        if (signal.aborted) throw blobDeadline();
        // An error from `chunks` belongs to the caller's producer: pass it on unchanged.
        throw sourceFailed ? e : mapFsError(e, target);
      }
    },

    async *read(target, signal) {
      if (signal.aborted) throw blobDeadline();
      let file: FileHandle | undefined;
      try {
        file = await openRegular(options.importDir, target);
        while (true) {
          if (signal.aborted) throw blobDeadline();
          const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
          const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) return;
          yield buffer.subarray(0, bytesRead);
        }
      } catch (e) {
        if (signal.aborted) throw blobDeadline();
        throw mapFsError(e, target);
      } finally {
        await file?.close().catch(() => undefined);
      }
    },

    async describe(target, signal) {
      if (signal.aborted) throw blobDeadline();
      const relative = checkRelative(target);
      try {
        const root = await realpath(options.importDir);
        const source = await realpath(path.join(root, relative));
        assertInside(root, source, target);
        const s = await stat(source, { bigint: true });
        if (!s.isFile()) throw invalidArgument('BLOB-local-not-regular', `"${target.path}" is not a regular file`);
        // A rewrite changes mtime (nanoseconds where the filesystem keeps them) or size; a
        // replacement renamed into place changes the inode.
        return { size: String(s.size), mtimeNs: String(s.mtimeNs), inode: String(s.ino) };
      } catch (e) {
        throw mapFsError(e, target);
      }
    },

    /** The file in place: read once in order, then by offset (never copied). */
    async open(target, signal) {
      if (signal.aborted) throw blobDeadline();
      let file: FileHandle;
      try {
        file = await openRegular(options.importDir, target);
      } catch (e) {
        throw mapFsError(e, target);
      }
      const reader = fileReader(file);
      return {
        bytes: (async function* () {
          for (let position = 0; ; ) {
            if (signal.aborted) throw blobDeadline();
            let chunk: Uint8Array;
            try {
              chunk = await reader.read(position, READ_CHUNK_BYTES);
            } catch (e) {
              throw mapFsError(e, target);
            }
            if (chunk.length === 0) return;
            position += chunk.length;
            yield chunk;
          }
        })(),
        file: () => reader,
        close: () => file.close().catch(() => undefined),
      };
    },
  };
}

/** Opens a file to import: inside the import directory (symlinks resolved), and a regular file. */
async function openRegular(importDir: string, target: TargetOf<'local'>): Promise<FileHandle> {
  const relative = checkRelative(target);
  const root = await realpath(importDir);
  const source = await realpath(path.join(root, relative));
  assertInside(root, source, target);
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, past any
  // deadline (issue 9). Then only a regular file is read; reads of a regular file ignore
  // O_NONBLOCK, so nothing changes for them.
  const file = await open(source, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await file.stat()).isFile()) throw invalidArgument('BLOB-local-not-regular', `"${target.path}" is not a regular file`);
  } catch (e) {
    await file.close().catch(() => undefined);
    throw e;
  }
  return file;
}

/** The target path as a normalized relative path that cannot climb out of its root. */
function checkRelative(target: TargetOf<'local'>): string {
  const raw = target.path;
  if (raw === '' || raw.includes('\0') || path.isAbsolute(raw)) throw badPath();
  const normalized = path.normalize(raw);
  const climbs = normalized === '..' || normalized.startsWith(`..${path.sep}`);
  if (climbs || normalized === '.' || normalized.endsWith(path.sep)) throw badPath();
  return normalized;
}

/** `candidate` must be a real path (symlinks resolved) inside `root`, or the root itself. */
function assertInside(root: string, candidate: string, target: TargetOf<'local'>): void {
  if (candidate !== root && !candidate.startsWith(root + path.sep)) throw badPath(target);
}

/** realpath of `dir` or of its closest ancestor that exists. */
async function nearestExisting(dir: string): Promise<string> {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      return await realpath(current);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT' || path.dirname(current) === current) throw e;
    }
  }
}

async function writeAll(file: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let offset = 0; offset < chunk.length; ) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

const badPath = (target?: TargetOf<'local'>) =>
  invalidArgument(
    'BLOB-local-path',
    target === undefined ? 'path must be relative and stay inside its directory' : `path "${target.path}" leaves its directory`,
  );

function mapFsError(e: unknown, target: TargetOf<'local'>): DomainError {
  if (isDomainError(e)) return e;
  // Messages name only the client's relative path; the server's directories stay in `cause`.
  switch (errnoCode(e)) {
    case 'ENOENT':
      return notFound('BLOB-local-not-found', `no file at "${target.path}"`);
    case 'EISDIR':
    case 'ENOTDIR':
    case 'ENAMETOOLONG':
    case 'ELOOP':
      return invalidArgument('BLOB-local-path', `path "${target.path}" does not name a file`, e);
    case 'ENOSPC':
    case 'EDQUOT':
      return new DomainError('ResourceExhausted', 'BLOB-local-full', 'no space left for the export', { cause: e });
    default:
      return new DomainError('Internal', 'BLOB-local-io', `file access failed for "${target.path}"`, { cause: e });
  }
}

const errnoCode = (e: unknown) => (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined);
