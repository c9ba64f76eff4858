/** JSON values as they travel in canonical proto-JSON payloads. */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export type JsonObject = { [key: string]: Json };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a string at a dotted path ("user.email.email"); absent or non-string → "". */
export function stringAt(obj: JsonObject, path: string): string {
  const v = valueAt(obj, path);
  return typeof v === 'string' ? v : '';
}

/**
 * The parts of each dotted path met so far. Paths come from the resource tables (a few hundred
 * in all), and reading them runs for every field of every imported resource: splitting each
 * time was the import's largest single cost in a CPU profile at 200,000 users (issue 10).
 */
const PATH_PARTS = new Map<string, readonly string[]>();

function partsOf(path: string): readonly string[] {
  let parts = PATH_PARTS.get(path);
  if (!parts) {
    parts = path.split('.');
    // Bounded: a caller with unbounded paths (none today) would only lose the cache.
    if (PATH_PARTS.size < 10_000) PATH_PARTS.set(path, parts);
  }
  return parts;
}

export function valueAt(obj: JsonObject, path: string): Json | undefined {
  let cur: Json | undefined = obj;
  for (const part of partsOf(path)) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

export function stringsAt(obj: JsonObject, path: string): string[] {
  const v = valueAt(obj, path);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The UTF-8 size of a value's JSON text: the byte count /metrics reports per resource kind. */
export const jsonBytes = (value: Json): number => Buffer.byteLength(JSON.stringify(value));

/** JSON text with object keys sorted: equal values give equal strings, whatever the key order. */
export function canonicalJson(value: Json | undefined): string {
  if (value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isJsonObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A copy holding only the given dotted paths (for small summaries of big items). */
export function pickPaths(obj: JsonObject, paths: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const path of paths) {
    const value = valueAt(obj, path);
    if (value !== undefined) setPath(out, path, value);
  }
  return out;
}

/** Sets `value` at a dotted path, making the objects on the way. */
export function setPath(obj: JsonObject, path: string, value: Json): void {
  const parts = partsOf(path);
  let target = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    target[part] ??= {};
    target = target[part] as JsonObject;
  }
  target[parts[parts.length - 1] as string] = value;
}
