import type { Json, JsonObject } from '../../domain/json.js';
import type { SecretCipher } from '../../domain/sealed-secret.js';

type Paths = readonly (readonly string[])[];

/**
 * Rewrites the values at `path` (lists crossed element by element, `*` = every key of a map)
 * with `leaf`, copying only what changes. `leaf` returning undefined removes the field.
 */
function rewrite(value: Json, path: readonly string[], leaf: (v: Json) => Json | undefined): Json | undefined {
  if (Array.isArray(value)) {
    const out = value.map((v) => rewrite(v, path, leaf));
    if (out.every((v, i) => v === value[i])) return value;
    const kept = out.filter((v): v is Json => v !== undefined);
    return kept.length === 0 ? undefined : kept;
  }
  if (path.length === 0) return leaf(value);
  if (value === null || typeof value !== 'object') return value;
  const [head, ...rest] = path as [string, ...string[]];
  const keys = head === '*' ? Object.keys(value) : [head];
  let out: Record<string, Json> | undefined;
  for (const key of keys) {
    const before = value[key];
    if (before === undefined) continue;
    const after = rewrite(before, rest, leaf);
    if (after === before) continue;
    out ??= { ...value };
    if (after === undefined) delete out[key];
    else out[key] = after;
  }
  return out ?? value;
}

function rewriteAll(item: JsonObject, paths: Paths, leaf: (v: Json) => Json | undefined): JsonObject {
  let out: Json = item;
  for (const path of paths) out = rewrite(out, path, leaf) ?? {};
  return out as JsonObject;
}

// Secret fields are strings (secret-paths.ts refuses any other kind), so leaves are strings;
// the empty string is no secret and stays as it is.
const strings = (f: (s: string) => string) => (v: Json) => (typeof v === 'string' && v !== '' ? f(v) : v);

/** The payload as stored: every secret field sealed. */
export function sealPayload(item: JsonObject, paths: Paths, cipher: SecretCipher): JsonObject {
  return paths.length
    ? rewriteAll(
        item,
        paths,
        strings((s) => cipher.seal(s)),
      )
    : item;
}

/** The payload as imported: every secret field opened (legacy plaintext passes as is). */
export function openPayload(item: JsonObject, paths: Paths, cipher: SecretCipher): JsonObject {
  return paths.length
    ? rewriteAll(
        item,
        paths,
        strings((s) => cipher.open(s)),
      )
    : item;
}

/** The payload without its secret fields (an export without `with_passwords`). */
export function stripPayload(item: JsonObject, paths: Paths): JsonObject {
  return paths.length ? rewriteAll(item, paths, () => undefined) : item;
}

/** The payload with every secret not sealed under the current key sealed again, and whether anything changed. */
export function resealPayload(item: JsonObject, paths: Paths, cipher: SecretCipher): { item: JsonObject; changed: boolean } {
  const out = rewriteAll(
    item,
    paths,
    strings((s) => (cipher.isCurrent(s) ? s : cipher.seal(cipher.open(s)))),
  );
  return { item: out, changed: out !== item };
}

/**
 * Whether a stored payload text may hold a sealed value. Every secret in a payload is sealed
 * (writes seal, and each start seals legacy plaintext), so a text without `"enc:` has none and
 * an export passes it through without parsing.
 */
export function mayHoldSecrets(json: string): boolean {
  return json.includes('"enc:');
}
