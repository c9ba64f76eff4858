import { invalidArgument, resourceExhausted } from '../../domain/errors.js';
import { DEFAULT_JSON_LIMITS, JsonBoundsScanner, type JsonLimits } from '../gate/json-bounds.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const ZERO = 0x30;

/**
 * Most bytes an import file may hold outside its orgs. ExportDataResponse (and v1's
 * ImportDataOrg) has `orgs` as its only field, so a real file's outline is `{"orgs":[0,0,…]}`,
 * two bytes per org: 16 MiB is eight million orgs. Anything more is not an export, and bounding
 * it this low keeps such a file from holding (and, at the end, parsing) hundreds of MiB: 140
 * MiB of small strings beside `orgs` took 35 s and 230 MiB before (issue 9).
 */
export const OUTLINE_MAX = 16 * 1024 * 1024;

/**
 * Cuts an export file (`{"orgs":[{…},{…}], …}`) into the bytes of each org, without parsing
 * the whole document: memory stays at one org, however large the file. Scanning bytes is safe
 * for UTF-8 because no multi-byte sequence contains an ASCII byte. Structural problems
 * (not an object, no "orgs" array, truncated, bad syntax between orgs) are INVALID_ARGUMENT.
 */
export async function* scanOrgs(
  chunks: AsyncIterable<Uint8Array>,
  maxOrgBytes: number,
  jsonLimits: JsonLimits = DEFAULT_JSON_LIMITS,
): AsyncGenerator<Buffer> {
  // Depth and string bounds over the whole file, orgs and outline alike (issue 9).
  const bounds = new JsonBoundsScanner(jsonLimits);
  let depth = 0;
  let inString = false;
  let escaped = false;
  /** Top-level key being read, and the last complete one. */
  let keyBytes: number[] | null = null;
  let lastKey = '';
  let inOrgs = false;
  let sawOrgs = false;
  let started = false;
  let element: Buffer[] = [];
  let elementSize = 0;
  let elementStart = -1;
  /**
   * The file without its orgs (each one becomes `0`), parsed at the end: the scan itself only
   * counts brackets, so `},,{` or stray words between orgs would otherwise pass unnoticed.
   * Kept as bytes (a number[] of 140 MiB took 4.5 GB, issue 9) and bounded by OUTLINE_MAX.
   */
  const outline = new OutlineBuffer(Math.min(maxOrgBytes, OUTLINE_MAX));
  const keep = (b: number) => outline.push(b);

  for await (const raw of chunks) {
    const chunk = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    bounds.push(chunk);
    elementStart = inOrgs && depth >= 3 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      const inElement = inOrgs && depth >= 3;
      if (inString) {
        if (!inElement) keep(b);
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) {
          inString = false;
          if (keyBytes) {
            lastKey = Buffer.from(keyBytes).toString('utf8');
            keyBytes = null;
          }
        } else if (keyBytes) keyBytes.push(b);
        continue;
      }
      if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
      if (!started) {
        if (b !== OPEN_OBJ) throw invalidArgument('IMPORT-file-shape', 'the import file must be a JSON object with an "orgs" array');
        started = true;
        depth = 1;
        keep(b);
        continue;
      }
      if (depth === 0) throw invalidArgument('IMPORT-file-json', 'the import file has data after its end');
      if (b === QUOTE) {
        inString = true;
        if (!inElement) keep(b);
        if (depth === 1) keyBytes = [];
        continue;
      }
      if (b === OPEN_OBJ || b === OPEN_ARR) {
        depth++;
        if (depth === 2 && lastKey === 'orgs') {
          if (b !== OPEN_ARR) throw invalidArgument('IMPORT-file-shape', '"orgs" must be an array');
          inOrgs = true;
          sawOrgs = true;
          keep(b);
        } else if (inOrgs && depth === 3) {
          if (b !== OPEN_OBJ) throw invalidArgument('IMPORT-file-shape', 'every entry of "orgs" must be an object');
          elementStart = i;
          element = [];
          elementSize = 0;
          keep(ZERO);
        } else if (!inElement) keep(b);
        continue;
      }
      if (b === CLOSE_OBJ || b === CLOSE_ARR) {
        if (!inElement) keep(b);
        depth--;
        if (inOrgs && depth === 2 && b === CLOSE_OBJ) {
          const part = chunk.subarray(elementStart, i + 1);
          element.push(part);
          elementSize += part.length;
          if (elementSize > maxOrgBytes) throw orgTooLarge(maxOrgBytes);
          yield Buffer.concat(element);
          element = [];
          elementStart = -1;
        } else if (inOrgs && depth === 1) {
          inOrgs = false;
        }
        if (depth === 1) lastKey = '';
        if (depth < 0) throw invalidArgument('IMPORT-file-json', 'the import file is not valid JSON');
      } else if (!inElement) keep(b);
    }
    if (inOrgs && depth >= 3 && elementStart >= 0) {
      const part = chunk.subarray(elementStart);
      element.push(Buffer.from(part));
      elementSize += part.length;
      if (elementSize > maxOrgBytes) throw orgTooLarge(maxOrgBytes);
    }
  }
  if (!started || depth !== 0 || inString) {
    throw invalidArgument('IMPORT-file-truncated', 'the import file ends early (truncated?): its JSON is not complete');
  }
  if (!sawOrgs) throw invalidArgument('IMPORT-file-shape', 'the import file has no "orgs" array');
  try {
    JSON.parse(outline.text());
  } catch {
    throw invalidArgument('IMPORT-file-json', 'the import file is not valid JSON outside its orgs');
  }
}

function orgTooLarge(max: number) {
  return resourceExhausted('IMPORT-org-size', `one org in the import file is larger than the limit of ${max} bytes`);
}

/** Growable bytes with a hard limit (RESOURCE_EXHAUSTED past it). */
class OutlineBuffer {
  private bytes = Buffer.alloc(256);
  private length = 0;

  constructor(private readonly max: number) {}

  push(b: number): void {
    if (this.length >= this.max) {
      throw resourceExhausted('IMPORT-file-outline', `the import file holds more than ${this.max} bytes outside its orgs`);
    }
    if (this.length === this.bytes.length) {
      const grown = Buffer.alloc(Math.min(this.max, this.bytes.length * 2));
      this.bytes.copy(grown);
      this.bytes = grown;
    }
    this.bytes[this.length++] = b;
  }

  text(): string {
    return this.bytes.toString('utf8', 0, this.length);
  }
}
