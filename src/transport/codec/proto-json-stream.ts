import { type DescField, type DescMessage, type JsonObject, type Message, ScalarType, toJson, toJsonString } from '@bufbuild/protobuf';
import { FeatureSet_FieldPresence } from '@bufbuild/protobuf/wkt';

/*
 * protobuf-es's toJsonString(schema, message) with the default write options (the ones
 * connect-es's JSON codec and our REST gateway use: routes.ts passes only ignoreUnknownFields,
 * a read option), produced piece by piece: an answer whose lists hold a million elements
 * (admin/lazy-list.ts) is written out without its JSON tree or its whole string ever existing.
 *
 * Byte for byte the same, because toJsonString is JSON.stringify(toJson(…)) without
 * indentation (@bufbuild/protobuf 2.x to-json.js), and JSON.stringify of an object is its keys
 * in insertion order, each `"key":value` joined by commas: toJson inserts the fields in field
 * number order and leaves out empty lists and unset fields, so writing the same keys in the
 * same order, each value JSON.stringify'd, gives the same text (escapes, lone surrogates as
 * \udXXX, included). Only lists of messages or strings and singular message fields are walked
 * here (a message with neither is written whole, one piece); every other field (scalars, enums, maps, oneofs, well-known types) is taken from
 * toJson of the message with the walked fields emptied, so its JSON is protobuf-es's own.
 */

const isWellKnown = (desc: DescMessage) => desc.typeName.startsWith('google.protobuf.');

type Walked =
  | { kind: 'messages'; field: DescField & { fieldKind: 'list' }; element: DescMessage }
  | { kind: 'strings'; field: DescField & { fieldKind: 'list' } }
  | { kind: 'message'; field: DescField & { fieldKind: 'message' } };

/** How a field is written: walked here, or (undefined) taken from toJson. */
function walked(field: DescField): Walked | undefined {
  if (field.oneof) return undefined;
  if (field.fieldKind === 'list') {
    if (field.listKind === 'message' && !isWellKnown(field.message)) return { kind: 'messages', field, element: field.message };
    if (field.listKind === 'scalar' && field.scalar === ScalarType.STRING) return { kind: 'strings', field };
    return undefined;
  }
  if (field.fieldKind === 'message' && !isWellKnown(field.message)) return { kind: 'message', field };
  return undefined;
}

interface Plan {
  /** The fields in the order toJson writes them (by number). */
  fields: { field: DescField; walk: Walked | undefined }[];
  /** Local names of the walked fields, emptied in the copy given to toJson. */
  walkedLists: string[];
  walkedMessages: string[];
  /** No field walked: the message is written whole by toJsonString (a list element such as an ImportResult). */
  leaf: boolean;
}

const plans = new WeakMap<DescMessage, Plan>();

function planOf(desc: DescMessage): Plan {
  let plan = plans.get(desc);
  if (!plan) {
    const fields = desc.fields
      .concat()
      .sort((a, b) => a.number - b.number)
      .map((field) => ({ field, walk: walked(field) }));
    plan = {
      fields,
      walkedLists: fields.filter((f) => f.walk && f.walk.kind !== 'message').map((f) => f.field.localName),
      walkedMessages: fields.filter((f) => f.walk?.kind === 'message').map((f) => f.field.localName),
      leaf: fields.every((f) => !f.walk),
    };
    plans.set(desc, plan);
  }
  return plan;
}

/**
 * The fields of a message made only of strings and string lists, none in a oneof nor with
 * explicit presence (ImportDataError, the ImportDataSuccess* elements); else undefined.
 * toJson leaves out an empty string and an empty list of such a field and writes the rest as
 * they are, so its JSON is each set field's `"jsonName":JSON.stringify(value)`, by number.
 */
const stringLeaves = new WeakMap<DescMessage, { name: string; key: string }[] | null>();

function stringLeafFields(desc: DescMessage): { name: string; key: string }[] | undefined {
  let fields = stringLeaves.get(desc);
  if (fields === undefined) {
    const plain = desc.fields.every(
      (f) =>
        !f.oneof &&
        ((f.fieldKind === 'scalar' && f.scalar === ScalarType.STRING && f.presence === FeatureSet_FieldPresence.IMPLICIT) ||
          (f.fieldKind === 'list' && f.listKind === 'scalar' && f.scalar === ScalarType.STRING)),
    );
    fields = plain ? planOf(desc).fields.map(({ field }) => ({ name: field.localName, key: `${JSON.stringify(field.jsonName)}:` })) : null;
    stringLeaves.set(desc, fields);
  }
  return fields ?? undefined;
}

/**
 * toJsonString of a message no field of which is walked. A million-element list of
 * ImportDataSuccessUserGrant spent more time in protobuf-es's reflection than in the import's
 * own JSON (a 200,000-user import's CPU profile, issue 10): messages of strings only are
 * written here, the same text.
 */
function leafJson(desc: DescMessage, message: Message): string {
  const fields = stringLeafFields(desc);
  if (!fields) return toJsonString(desc, message);
  const own = message as unknown as Record<string, unknown>;
  let text = '{';
  for (const { name, key } of fields) {
    const value = own[name];
    if (typeof value === 'string' ? value === '' : !Array.isArray(value) || value.length === 0) continue;
    text += `${text.length > 1 ? ',' : ''}${key}${JSON.stringify(value)}`;
  }
  return `${text}}`;
}

/** Elements of a list are joined into pieces of about this many UTF-16 units (well below a 256 KiB chunk). */
const BATCH_CHARS = 16 * 1024;

/**
 * The pieces of `toJsonString(schema, message)`, in order; joined they are that string. Lists
 * are read once, front to back (a lazy list costs one row per element). No piece is longer than
 * `batchChars` and one element, so a long list (and the org holding it) is never one string.
 */
export function* protoJsonPieces(schema: DescMessage, message: Message, batchChars = BATCH_CHARS): Generator<string> {
  const plan = isWellKnown(schema) ? undefined : planOf(schema);
  if (!plan || plan.leaf) {
    yield plan ? leafJson(schema, message) : toJsonString(schema, message);
    return;
  }
  const own = message as unknown as Record<string, unknown>;
  // The rest of the message, as protobuf-es writes it: the walked fields emptied in a shallow copy.
  const rest: Record<string, unknown> = { ...own };
  for (const name of plan.walkedLists) rest[name] = [];
  for (const name of plan.walkedMessages) rest[name] = undefined;
  const others = toJson(schema, rest as unknown as Message) as JsonObject;
  let comma = '';
  const key = (field: DescField) => {
    const text = `${comma}${JSON.stringify(field.jsonName)}:`;
    comma = ',';
    return text;
  };
  yield '{';
  for (const { field, walk } of plan.fields) {
    if (!walk) {
      if (Object.hasOwn(others, field.jsonName)) yield `${key(field)}${JSON.stringify(others[field.jsonName])}`;
      continue;
    }
    const value = own[field.localName];
    if (walk.kind === 'message') {
      // toJson writes a message field when it is set as an own property (explicit presence).
      if (value === undefined || !Object.hasOwn(own, field.localName)) continue;
      yield key(field);
      yield* protoJsonPieces(walk.field.message, value as Message, batchChars);
      continue;
    }
    const list = value as readonly unknown[];
    if (list.length === 0) continue;
    yield `${key(field)}[`;
    let separator = '';
    // A list of leaf messages or strings is written without a generator per element, its
    // elements joined into pieces of about `batchChars`: one yield (and one byte count in
    // utf8Chunks) per element was a third of the answer's cost at 200,000 users (issue 10).
    const leaf = walk.kind === 'messages' && planOf(walk.element).leaf ? walk.element : undefined;
    let batch = '';
    for (const element of list) {
      if (leaf) batch += separator + leafJson(leaf, element as Message);
      else if (walk.kind === 'strings') {
        if (typeof element !== 'string') throw new Error(`cannot encode ${field} to JSON: expected string`);
        batch += separator + JSON.stringify(element);
      } else {
        if (batch) yield batch;
        batch = '';
        if (separator) yield separator;
        yield* protoJsonPieces(walk.element, element as Message, batchChars);
      }
      separator = ',';
      if (batch.length >= batchChars) {
        yield batch;
        batch = '';
      }
    }
    yield `${batch}]`;
  }
  yield '}';
}

/** Joins pieces into Buffers of about `size` bytes (a piece is never split; one bigger than `size` is a Buffer of its own). */
export function* utf8Chunks(pieces: Iterable<string>, size: number): Generator<Buffer> {
  let parts: string[] = [];
  let bytes = 0;
  for (const piece of pieces) {
    const length = Buffer.byteLength(piece);
    if (bytes > 0 && bytes + length > size) {
      yield Buffer.from(parts.join(''));
      parts = [];
      bytes = 0;
    }
    parts.push(piece);
    bytes += length;
  }
  if (bytes > 0) yield Buffer.from(parts.join(''));
}
