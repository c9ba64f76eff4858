/**
 * A private local copy of a remote blob, made as it is read once (GCS, S3), so an import can
 * come back to any part of it by offset without downloading it again. The copy lives in a
 * directory of its own under the system's temp directory (0700, the file 0600: an export can
 * hold password hashes and OTP secrets), and is removed by `close`, however the import ends.
 */
import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OpenedBlob, RandomAccessFile } from '../application/ports.js';
import { DomainError } from '../domain/errors.js';

/** Reads `length` bytes at `position` of an open file (fewer only where it ends). */
export function fileReader(handle: FileHandle): RandomAccessFile {
  return {
    async read(position, length) {
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    },
  };
}

/** Copies `chunks` to a private temp file as they are read; `file()` then reads the copy. */
export async function spoolBlob(chunks: AsyncIterable<Uint8Array>, root: string = tmpdir()): Promise<OpenedBlob> {
  const dir = await mkdtemp(path.join(root, 'idport-import-'));
  let handle: FileHandle | undefined;
  try {
    handle = await open(path.join(dir, 'blob'), 'wx+', 0o600);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw new DomainError('Internal', 'BLOB-spool-io', 'could not create the temp copy of the import file', { cause: e });
  }
  const file = handle;
  let complete = false;
  let closed = false;
  return {
    bytes: (async function* () {
      let position = 0;
      for await (const chunk of chunks) {
        for (let offset = 0; offset < chunk.length; ) {
          const { bytesWritten } = await file.write(chunk, offset, chunk.length - offset, position);
          offset += bytesWritten;
          position += bytesWritten;
        }
        yield chunk;
      }
      complete = true;
    })(),
    file() {
      if (!complete) throw new Error('spoolBlob: the blob is not read to its end yet');
      return fileReader(file);
    },
    async close() {
      if (closed) return;
      closed = true;
      await file.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
