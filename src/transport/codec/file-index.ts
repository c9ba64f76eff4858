import { invalidArgument, resourceExhausted } from '../../domain/errors.js';
import { DEFAULT_JSON_LIMITS, type JsonLimits } from '../gate/json-bounds.js';
import { type GrammarListener, JsonGrammar } from './json-grammar.js';

/**
 * Most bytes an import file may hold outside its orgs (each org counting one byte).
 * ExportDataResponse (and v1's ImportDataOrg) has `orgs` as its only field, so a real file's
 * outline is `{"orgs":[0,0,…]}`, two bytes per org: 16 MiB is eight million orgs. Anything
 * more is not an export (140 MiB of small strings beside `orgs` took 35 s and 230 MiB before
 * the bound, issue 9).
 */
export const OUTLINE_MAX = 16 * 1024 * 1024;

/** One top-level member of an org: its key as written and its value's bytes. */
export interface IndexedField {
  key: string;
  start: number;
  end: number;
  /** For an array value: its items, as `count` rows of the index's item table from `first`. */
  first: number;
  count: number;
  isArray: boolean;
}

/** One org of the file: its bytes and its members in file order. */
export interface IndexedOrg {
  start: number;
  end: number;
  fields: IndexedField[];
}

/**
 * Where everything of an import file is, found in one read without building any value: each
 * org's members, and each item of an array member as a byte offset and length in typed arrays
 * (12 bytes an item), so a million users cost 12 MB here, not a million objects.
 */
export class FileIndex {
  readonly orgs: IndexedOrg[] = [];

  get orgCount(): number {
    return this.orgs.length;
  }

  private starts = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private items = 0;

  /** Item `row`'s offset and length. */
  itemStart(row: number): number {
    return this.starts[row] as number;
  }

  itemLength(row: number): number {
    return this.lengths[row] as number;
  }

  get itemCount(): number {
    return this.items;
  }

  addItem(start: number): number {
    if (this.items === this.starts.length) {
      const starts = new Float64Array(this.starts.length * 2);
      starts.set(this.starts);
      this.starts = starts;
      const lengths = new Uint32Array(this.lengths.length * 2);
      lengths.set(this.lengths);
      this.lengths = lengths;
    }
    this.starts[this.items] = start;
    return this.items++;
  }

  endItem(row: number, end: number): void {
    const length = end - (this.starts[row] as number);
    if (length > 0xffffffff) throw resourceExhausted('IMPORT-item-size', 'one item of the import file is larger than 4 GiB');
    this.lengths[row] = length;
  }
}

const shapeError = (message: string) => invalidArgument('IMPORT-file-shape', message);

/**
 * Builds the FileIndex as the grammar check reads the file (`{"orgs":[{…},…]}`): depth 0 is
 * the document, 1 its members, 2 the orgs, 3 an org's members, 4 the items of an array member.
 */
class IndexBuilder implements GrammarListener {
  readonly listenDepth = 4;
  readonly index = new FileIndex();
  sawOrgs = false;
  private topKey = '';
  private inOrgs = false;
  private org: IndexedOrg | undefined;
  private orgKey = '';
  private field: IndexedField | undefined;
  private item = -1;
  /** Bytes of the orgs read so far (the outline is everything else). */
  orgBytes = 0;
  orgStart = -1;

  key(depth: number, key: string): void {
    if (depth === 1) this.topKey = key;
    else if (depth === 3) this.orgKey = key;
  }

  valueStart(depth: number, offset: number, first: number): void {
    if (depth === 0) {
      if (first !== 0x7b) throw shapeError('the import file must be a JSON object with an "orgs" array');
    } else if (depth === 1) {
      if (this.topKey !== 'orgs') return;
      if (first !== 0x5b) throw shapeError('"orgs" must be an array');
      // JSON.parse keeps the last of two members with one name: so does the index.
      this.index.orgs.length = 0;
      this.inOrgs = true;
      this.sawOrgs = true;
    } else if (!this.inOrgs) {
      // a member other than "orgs": checked, not indexed
    } else if (depth === 2) {
      if (first !== 0x7b) throw shapeError('every entry of "orgs" must be an object');
      this.org = { start: offset, end: offset, fields: [] };
      this.orgStart = offset;
    } else if (depth === 3) {
      const isArray = first === 0x5b;
      this.field = { key: this.orgKey, start: offset, end: offset, first: this.index.itemCount, count: 0, isArray };
    } else if (this.field?.isArray) {
      this.item = this.index.addItem(offset);
    }
  }

  valueEnd(depth: number, end: number): void {
    if (depth === 1) this.inOrgs = false;
    if (!this.inOrgs) return;
    if (depth === 2 && this.org) {
      this.org.end = end;
      this.index.orgs.push(this.org);
      this.orgBytes += end - this.orgStart - 1;
      this.org = undefined;
      this.orgStart = -1;
    } else if (depth === 3 && this.field && this.org) {
      this.field.end = end;
      this.field.count = this.index.itemCount - this.field.first;
      this.org.fields.push(this.field);
      this.field = undefined;
    } else if (depth === 4 && this.item >= 0 && this.field?.isArray) {
      this.index.endItem(this.item, end);
      this.item = -1;
    }
  }
}

/**
 * Reads an export file once, in order: checks all of its JSON (json-grammar.ts) and its
 * shape, and indexes its orgs and their items. A truncated or malformed file is
 * INVALID_ARGUMENT (IMPORT-file-json, IMPORT-file-truncated, IMPORT-file-shape, or a bound of
 * json-bounds.ts) before anything is imported; more than `outlineMax` bytes outside the orgs
 * is RESOURCE_EXHAUSTED (IMPORT-file-outline).
 */
export async function indexExportFile(
  chunks: AsyncIterable<Uint8Array>,
  options: { limits?: JsonLimits; outlineMax?: number } = {},
): Promise<FileIndex> {
  const builder = new IndexBuilder();
  const grammar = new JsonGrammar(options.limits ?? DEFAULT_JSON_LIMITS, builder);
  const outlineMax = options.outlineMax ?? OUTLINE_MAX;
  let read = 0;
  let started = false;
  for await (const chunk of chunks) {
    if (!started) started = startsAnObject(chunk);
    grammar.push(chunk);
    read += chunk.length;
    const inOrg = builder.orgStart >= 0 ? read - builder.orgStart : 0;
    if (read - builder.orgBytes - inOrg > outlineMax) {
      throw resourceExhausted('IMPORT-file-outline', `the import file holds more than ${outlineMax} bytes outside its orgs`);
    }
  }
  grammar.end();
  if (!builder.sawOrgs) throw shapeError('the import file has no "orgs" array');
  return builder.index;
}

/** Whether the chunk's first non-blank byte opens an object; throws the shape error if it is another. */
function startsAnObject(chunk: Uint8Array): boolean {
  for (const b of chunk) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    if (b !== 0x7b) throw shapeError('the import file must be a JSON object with an "orgs" array');
    return true;
  }
  return false;
}
