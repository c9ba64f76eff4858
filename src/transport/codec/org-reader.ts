import { type DescField, type DescMessage, fromJson, type JsonValue, type JsonObject as PbJsonObject, toJson } from '@bufbuild/protobuf';
import { DataOrgSchema as AdminDataOrgSchema } from '../../../gen/zitadel/admin_pb.js';
import { DataOrgSchema as V1DataOrgSchema } from '../../../gen/zitadel/v1_pb.js';
import type { DataOrgShape, DecodedOrg, ItemBatch, RandomAccessFile, SourceOrg } from '../../application/ports.js';
import { isJsonObject, type Json, type JsonObject } from '../../domain/json.js';
import { RESOURCE_KINDS } from '../../domain/resources/kinds.js';
import { isCanonical } from './canonical.js';
import { canonicalOrg, normaliseV1Org } from './data-org.js';
import { orgShape } from './data-org-shape.js';
import type { FileIndex, IndexedField, IndexedOrg } from './file-index.js';

/** Bytes read from the file at once, and the most a batch of items holds (in items and in bytes). */
export const READ_WINDOW = 1024 * 1024;
export const BATCH_ITEMS = 1000;
export const BATCH_BYTES = 1024 * 1024;

/**
 * The lists read item by item: those of the resource kinds (domain/resources/kinds.ts). The
 * others (v1's `secondFactors`, `multiFactors`, `idps`) are a few entries each, which
 * normaliseV1Org folds into the login policy: they stay in the head.
 */
const STREAMED = new Set(RESOURCE_KINDS.filter((k) => k.repeated).map((k) => k.field));
const SCHEMAS: Record<DataOrgShape, DescMessage> = { admin: AdminDataOrgSchema, v1: V1DataOrgSchema };
const FROM_JSON = { ignoreUnknownFields: true } as const;
const JSON_OUT = { alwaysEmitImplicit: false } as const;

/** The org's members by DataOrg field (JSON or proto name; the last of two wins, as in JSON.parse). */
function fieldsByName(schema: DescMessage, org: IndexedOrg): Map<string, { field: DescField; span: IndexedField }> {
  const out = new Map<string, { field: DescField; span: IndexedField }>();
  for (const span of org.fields) {
    const field = schema.fields.find((f) => f.jsonName === span.key || f.name === span.key);
    if (field) out.set(field.jsonName, { field, span });
  }
  return out;
}

async function readJson(file: RandomAccessFile, start: number, end: number): Promise<JsonValue> {
  const bytes = await file.read(start, end - start);
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as JsonValue;
}

/** The file's orgs in file order (ports.ts ImportFileCodec.orgs). */
export async function* readIndexedOrgs(index: FileIndex, file: RandomAccessFile, declared: DataOrgShape): AsyncGenerator<DecodedOrg> {
  for (const org of index.orgs) yield await readOrg(index, file, org, declared);
}

/**
 * One org's head, parsed from its members' spans (ZITADEL writes orgState last: any order
 * works), and its lists left in the file for `items`. A head that is not a valid DataOrg is an
 * error for this org alone.
 */
async function readOrg(index: FileIndex, file: RandomAccessFile, org: IndexedOrg, declared: DataOrgShape): Promise<DecodedOrg> {
  // The shape is decided on the keys and on the trigger actions' values (data-org-shape.ts).
  const probe: PbJsonObject = {};
  for (const span of org.fields) {
    const triggers = span.key === 'triggerActions' || span.key === 'trigger_actions';
    probe[span.key] = triggers ? await readJson(file, span.start, span.end) : null;
  }
  const shape = orgShape(probe, declared);
  const schema = SCHEMAS[shape];
  const fields = fieldsByName(schema, org);
  const head: PbJsonObject = {};
  const lists = new Map<string, { field: DescField; span: IndexedField }>();
  let orgId = '';
  try {
    for (const [name, entry] of fields) {
      const { field, span } = entry;
      if (field.fieldKind === 'list' && field.listKind === 'message' && STREAMED.has(name)) {
        if (span.isArray) lists.set(name, entry);
        else if ((await readJson(file, span.start, span.end)) !== null) throw new Error(`${name} must be an array`);
        continue;
      }
      head[name] = await readJson(file, span.start, span.end);
      if (name === 'orgId' && typeof head[name] === 'string') orgId = head[name];
    }
    const canonical = canonicalOrg(schema, head);
    return { org: fileOrg(index, file, shape === 'admin' ? canonical : normaliseV1Org(canonical), lists) };
  } catch (e) {
    return { orgId, error: `not a valid ${shape} DataOrg: ${(e as Error).message}` };
  }
}

function fileOrg(
  index: FileIndex,
  file: RandomAccessFile,
  head: JsonObject,
  lists: ReadonlyMap<string, { field: DescField; span: IndexedField }>,
): SourceOrg {
  return {
    head,
    items(field) {
      const list = lists.get(field);
      return list?.field.fieldKind === 'list' && list.field.listKind === 'message'
        ? readItems(index, file, list.span, list.field.message)
        : noItems();
    },
    only(fields) {
      const kept = new Map([...lists].filter(([name]) => fields.includes(name)));
      return fileOrg(index, file, { orgId: head.orgId ?? '' }, kept);
    },
  };
}

async function* noItems(): AsyncGenerator<ItemBatch> {}

/**
 * A list's items from the file, by the index: read READ_WINDOW bytes at a time, each item
 * parsed alone and made canonical (an item already canonical, as idport and ZITADEL write
 * them, is kept as parsed: canonical.ts). Batches of at most BATCH_ITEMS items or about
 * BATCH_BYTES bytes.
 */
async function* readItems(index: FileIndex, file: RandomAccessFile, span: IndexedField, desc: DescMessage): AsyncGenerator<ItemBatch> {
  const end = span.first + span.count;
  let batch: ItemBatch = { items: [], first: 0, failed: [] };
  let batchBytes = 0;
  let position = 0;
  for (let row = span.first; row < end; ) {
    const start = index.itemStart(row);
    let last = row;
    while (last + 1 < end && index.itemStart(last + 1) + index.itemLength(last + 1) - start <= READ_WINDOW) last++;
    const raw = await file.read(start, index.itemStart(last) + index.itemLength(last) - start);
    const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let parsed: unknown[] | undefined;
    let group = row;
    for (; row <= last; row++, position++) {
      if (row === group + (parsed?.length ?? 0)) {
        group = row;
        parsed = parseGroup(index, bytes, start, row, last);
      }
      const length = index.itemLength(row);
      if (parsed) addItem(desc, parsed[row - group] as JsonValue, batch);
      else {
        const from = index.itemStart(row) - start;
        addItem(desc, JSON.parse(bytes.toString('utf8', from, from + length)) as JsonValue, batch);
        group = row + 1;
      }
      batchBytes += length;
      if (batch.items.length + batch.failed.length >= BATCH_ITEMS || batchBytes >= BATCH_BYTES) {
        yield batch;
        batch = { items: [], first: position + 1, failed: [] };
        batchBytes = 0;
      }
    }
  }
  if (batch.items.length || batch.failed.length) yield batch;
}

/**
 * Bytes of items parsed at a time: their text stays under V8's large-object size (128 KiB), so
 * it is young-generation garbage, as the export's chunks are (application/export/utf8-chunks.ts).
 * Against parsing the whole 1 MiB window at once, peak RSS and time were the same within the
 * noise (4 interleaved 200,000-user runs, load about 2).
 */
const GROUP_BYTES = 32 * 1024;

/**
 * Items from `row` on, up to `last` and about GROUP_BYTES, in one JSON.parse: between two items
 * of a list there are only a comma and whitespace (the file index checked the grammar), so
 * their span is an array's inside. One parse of many items instead of a string and a parse per
 * item took a fifth off decoding in a 200,000-user import's CPU profile (issue 10). Undefined if
 * they are not (an item is not JSON): they are then parsed one by one, as the index delimits them.
 */
function parseGroup(index: FileIndex, bytes: Buffer, start: number, row: number, last: number): unknown[] | undefined {
  const from = index.itemStart(row) - start;
  let end = row;
  while (end < last && index.itemStart(end + 1) + index.itemLength(end + 1) - start - from <= GROUP_BYTES) end++;
  try {
    const items = JSON.parse(`[${bytes.toString('utf8', from, index.itemStart(end) + index.itemLength(end) - start)}]`) as unknown;
    return Array.isArray(items) && items.length === end - row + 1 ? items : undefined;
  } catch {
    return undefined;
  }
}

/** One item into the batch: canonical, or failed alone when it is JSON but not a valid message. */
function addItem(desc: DescMessage, json: JsonValue, batch: ItemBatch): void {
  try {
    // Most items of an export file are canonical already: normalising them would give them back unchanged.
    batch.items.push((isCanonical(desc, json) ? json : toJson(desc, fromJson(desc, json, FROM_JSON), JSON_OUT)) as JsonObject);
  } catch (e) {
    const item = isJsonObject(json as Json) ? (json as JsonObject) : {};
    batch.failed.push({ item, message: `not a valid ${desc.name}: ${(e as Error).message} (IMPORT-item-decode)` });
  }
}
