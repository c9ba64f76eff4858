import { StringDecoder } from 'node:string_decoder';

/**
 * Reading PostgreSQL's COPY TO text format (docs: COPY, "Text Format"): one row per line,
 * columns split by tabs, `\N` for NULL, and backslash escapes for the characters that would
 * break that framing. A literal newline or tab never appears inside a field, so splitting the
 * raw text on them is exact.
 */

/** The sequences PostgreSQL writes in text output; any other backslashed character stands for itself. */
const UNESCAPE: Record<string, string> = { '\\': '\\', t: '\t', n: '\n', r: '\r', b: '\b', f: '\f', v: '\v' };
const ESCAPE_SEQUENCE = /\\(.)/gs;

/** One field of COPY TO's text format back to its value (`null` for `\N`). */
export function fromCopyText(field: string): string | null {
  if (field === '\\N') return null;
  // Most payloads hold no backslash: testing first saves the replace's allocation.
  if (!field.includes('\\')) return field;
  return field.replace(ESCAPE_SEQUENCE, (_m, c: string) => UNESCAPE[c] ?? c);
}

/** One COPY text line to its fields, decoded. */
export const copyFields = (line: string): (string | null)[] => line.split('\t').map(fromCopyText);

/**
 * Bytes decoded at a time. The lines are slices of the decoded text and keep it alive while
 * an export batch holds them; text over V8's regular object size (128 KiB) is a large object,
 * which a scavenge promotes to old space at once (issue 10), and a slow consumer gets COPY
 * output in chunks of several hundred KiB.
 */
const PIECE_BYTES = 64 * 1024;

/**
 * Cuts COPY TO output, which arrives in chunks that need not end at a row (nor at a UTF-8
 * character: StringDecoder keeps a split character's first bytes for the next chunk), into
 * whole lines.
 */
export function createCopyLineSplitter() {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const cut = (piece: Buffer) => {
    const lines = (rest + decoder.write(piece)).split('\n');
    rest = lines.pop() ?? '';
    return lines;
  };
  return {
    /** The lines `chunk` completes, without their newlines. */
    push(chunk: Buffer): string[] {
      if (chunk.length <= PIECE_BYTES) return cut(chunk);
      const lines: string[] = [];
      for (let at = 0; at < chunk.length; at += PIECE_BYTES) {
        for (const line of cut(chunk.subarray(at, at + PIECE_BYTES))) lines.push(line);
      }
      return lines;
    },
    /** At the end of the output: a partial last row means the stream was cut. */
    end(): void {
      if (rest || decoder.end()) throw new Error('COPY output ended inside a row');
    },
  };
}
