import type { ExportFrame } from './export-parts.js';

/**
 * Encodes export frames as UTF-8 straight into fixed-size chunks, each text once, in place.
 * The export used to join texts into a 256 KiB string and encode that: two more copies of
 * every row, and strings above V8's regular object size (128 KiB) are allocated as large
 * objects, which a scavenge promotes to old space as soon as it finds them alive; at 1M users
 * that garbage grew the heap by ~130 MB between full collections (issue 10, measured with
 * v8.getHeapSpaceStatistics during an export). Chunk buffers are external memory, freed with
 * their (young) wrappers.
 */
const COMMA = 0x2c;

export function createUtf8Chunks(size: number) {
  /** Full chunks, in order, for the caller to send and clear. */
  const ready: Uint8Array[] = [];
  let buffer = Buffer.allocUnsafe(size);
  let used = 0;

  const seal = () => {
    if (used === 0) return;
    ready.push(buffer.subarray(0, used));
    buffer = Buffer.allocUnsafe(size);
    used = 0;
  };

  const write = (text: string) => {
    // A UTF-16 unit is at most 3 UTF-8 bytes: only a text that might not fit is measured.
    if (text.length * 3 > size - used) {
      const bytes = Buffer.byteLength(text);
      if (bytes > size - used) seal();
      if (bytes > size) {
        ready.push(Buffer.from(text));
        return;
      }
    }
    used += buffer.write(text, used);
  };

  return {
    ready,
    add(frame: ExportFrame): void {
      write(frame.text);
      const items = frame.items;
      if (!items) return;
      for (let i = 0; i < items.length; i++) {
        if (i > 0) {
          if (used === size) seal();
          buffer[used++] = COMMA;
        }
        write(items[i] as string);
      }
    },
    /** Seals the last, partial chunk. */
    end: seal,
  };
}
