import { type DescEnum, type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';

/**
 * Whether a decoded JSON value is already in canonical proto-JSON for its message: exactly what
 * `toJson(desc, fromJson(desc, value, {ignoreUnknownFields: true}), {alwaysEmitImplicit: false})`
 * gives back, keys in the same order, so normalising it could change nothing. Canonical means:
 * - an object whose every key is a field's JSON name (no unknown fields, no proto names), in
 *   ascending field number (protobuf-es writes fields in that order), at most one per oneof;
 * - no null, no empty list or map, and no zero value of an implicit-presence scalar or enum
 *   (all of which toJson leaves out);
 * - strings and booleans as such; 32-bit integers as in-range integer numbers; 64-bit ones as
 *   decimal strings in range without leading zeros or plus; enums by a declared value name;
 *   bytes as padded standard base64; nested messages canonical by the same rules; maps only
 *   with string keys.
 * Anything else (floats, whose float32 rounding toJson may show; well-known types, which have
 * their own JSON forms; maps with other keys) answers false: the caller then normalises, so a
 * false answer costs time, never correctness.
 */
export function isCanonical(desc: DescMessage, json: unknown): boolean {
  if (!isPlainObject(json) || desc.typeName.startsWith('google.protobuf.')) return false;
  const fields = fieldsOf(desc);
  let last = -1;
  let oneofs: Set<string> | undefined;
  for (const key in json) {
    const f = fields.get(key);
    if (!f || f.rank <= last) return false;
    last = f.rank;
    const field = f.field;
    if (field.oneof) {
      oneofs ??= new Set();
      if (oneofs.has(field.oneof.name)) return false;
      oneofs.add(field.oneof.name);
    }
    if (!canonicalField(field, json[key])) return false;
  }
  return true;
}

function canonicalField(field: DescField, value: unknown): boolean {
  // toJson leaves out the zero of an implicit-presence field; oneof members are explicit.
  const implicit = field.presence === IMPLICIT && !field.oneof;
  switch (field.fieldKind) {
    case 'scalar':
      return canonicalScalar(field.scalar, value, implicit);
    case 'enum':
      return canonicalEnum(field.enum, value, implicit);
    case 'message':
      return isCanonical(field.message, value);
    case 'list': {
      if (!Array.isArray(value) || value.length === 0) return false;
      if (field.listKind === 'message') return value.every((v) => isCanonical(field.message, v));
      if (field.listKind === 'enum') return value.every((v) => canonicalEnum(field.enum, v, false));
      return value.every((v) => canonicalScalar(field.scalar, v, false));
    }
    case 'map': {
      if (field.mapKey !== ScalarType.STRING || !isPlainObject(value)) return false;
      const values = Object.values(value);
      if (values.length === 0) return false;
      if (field.mapKind === 'message') return values.every((v) => isCanonical(field.message, v));
      if (field.mapKind === 'enum') return values.every((v) => canonicalEnum(field.enum, v, false));
      return values.every((v) => canonicalScalar(field.scalar, v, false));
    }
  }
}

/** FeatureSet.FieldPresence.IMPLICIT (google/protobuf/descriptor.proto). */
const IMPLICIT = 2;

const INT32: readonly [number, number] = [-(2 ** 31), 2 ** 31 - 1];
const UINT32: readonly [number, number] = [0, 2 ** 32 - 1];
const INT64: readonly [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];
const UINT64: readonly [bigint, bigint] = [0n, 2n ** 64n - 1n];
const RANGE32: Partial<Record<ScalarType, readonly [number, number]>> = {
  [ScalarType.INT32]: INT32,
  [ScalarType.SINT32]: INT32,
  [ScalarType.SFIXED32]: INT32,
  [ScalarType.UINT32]: UINT32,
  [ScalarType.FIXED32]: UINT32,
};
const RANGE64: Partial<Record<ScalarType, readonly [bigint, bigint]>> = {
  [ScalarType.INT64]: INT64,
  [ScalarType.SINT64]: INT64,
  [ScalarType.SFIXED64]: INT64,
  [ScalarType.UINT64]: UINT64,
  [ScalarType.FIXED64]: UINT64,
};
const DECIMAL = /^(0|-?[1-9][0-9]*)$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function canonicalScalar(type: ScalarType, value: unknown, implicit: boolean): boolean {
  switch (type) {
    case ScalarType.STRING:
      return typeof value === 'string' && !(implicit && value === '');
    case ScalarType.BOOL:
      return typeof value === 'boolean' && !(implicit && !value);
    case ScalarType.BYTES:
      // Padded standard base64 is what toJson writes; the regex rules out the other alphabets.
      return typeof value === 'string' && BASE64.test(value) && !(implicit && value === '');
    default: {
      const r32 = RANGE32[type];
      if (r32)
        return typeof value === 'number' && Number.isInteger(value) && value >= r32[0] && value <= r32[1] && !(implicit && value === 0);
      const r64 = RANGE64[type];
      if (r64 && typeof value === 'string' && DECIMAL.test(value)) {
        const n = BigInt(value);
        return n >= r64[0] && n <= r64[1] && !(implicit && n === 0n);
      }
      return false; // floats and doubles
    }
  }
}

function canonicalEnum(desc: DescEnum, value: unknown, implicit: boolean): boolean {
  if (typeof value !== 'string' || desc.typeName === 'google.protobuf.NullValue') return false;
  const v = desc.values.find((e) => e.name === value);
  return v !== undefined && !(implicit && v.number === 0);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fields by JSON name, each with its rank in field-number order. */
const FIELDS = new WeakMap<DescMessage, Map<string, { field: DescField; rank: number }>>();

function fieldsOf(desc: DescMessage): Map<string, { field: DescField; rank: number }> {
  let map = FIELDS.get(desc);
  if (!map) {
    const sorted = desc.fields.concat().sort((a, b) => a.number - b.number);
    map = new Map(sorted.map((field, rank) => [field.jsonName, { field, rank }]));
    FIELDS.set(desc, map);
  }
  return map;
}
