/**
 * Secrets at rest (OTP seeds, IdP client secrets, any proto field marked
 * `(idport.options.v1.secret) = true` inside a stored payload) are kept sealed, as one
 * self-describing string:
 *
 *   enc:v1:<keyId>:<base64url(iv | ciphertext | tag)>
 *
 * - `v1` is AES-256-GCM with a random 96-bit IV and a 128-bit tag (NIST SP 800-38D §8.2.2:
 *   random IVs are safe for fewer than 2^32 messages per key), the prefix `enc:v1:<keyId>` as
 *   additional authenticated data, so a value cannot be moved under another key id unnoticed.
 * - `keyId` names the key that sealed the value (a short digest of the key, never the key), so
 *   keys can rotate: the current key seals, every configured key opens, and a start re-seals
 *   what an old key sealed.
 * - A stored value without the `enc:` prefix was written before secrets were sealed (legacy
 *   plaintext); it is read as is and sealed on the next start.
 */

/**
 * Every sealed value starts with this. New writes always seal, so the prefix only has to tell
 * sealed values from legacy plaintext: an OTP seed (upper-case base32, no `:`) never starts with
 * it; a legacy client secret that did would be read as a malformed sealed value and refuse the
 * start (re-import that IdP's secret to fix it).
 */
export const SEALED_PREFIX = 'enc:';

export interface SealedParts {
  version: string;
  keyId: string;
  /** base64url of iv | ciphertext | tag. */
  body: string;
}

const SEALED = /^enc:([a-z0-9]+):([A-Za-z0-9_-]+):([A-Za-z0-9_-]*)$/;

/** Whether a stored value is sealed (any version); the rest is legacy plaintext. */
export function isSealed(stored: string): boolean {
  return stored.startsWith(SEALED_PREFIX);
}

/** The parts of a sealed value, or undefined for a value that is not well formed. */
export function parseSealed(stored: string): SealedParts | undefined {
  const m = SEALED.exec(stored);
  if (!m) return undefined;
  return { version: m[1] as string, keyId: m[2] as string, body: m[3] as string };
}

/**
 * A stored secret that cannot be opened: sealed under a key that is not configured, tampered
 * with, or malformed. The message names the key id (never a key or a plaintext) and the fix.
 */
export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';

  constructor(
    message: string,
    /** The key id the value was sealed under, when it could be read. */
    readonly keyId?: string,
  ) {
    super(message);
  }
}

/** Seals and opens secrets stored at rest. Implemented with AES-256-GCM (persistence/secrets/aes-gcm-cipher.ts). */
export interface SecretCipher {
  /** The id of the key that seals (the current key). */
  readonly keyId: string;
  /** The sealed form of `plaintext`; a fresh IV each call, so equal secrets seal differently. */
  seal(plaintext: string): string;
  /**
   * The plaintext of a stored value. Legacy plaintext (no `enc:` prefix) comes back as is.
   * Throws SecretKeyError for an unknown key id, a failed tag or a malformed value.
   */
  open(stored: string): string;
  /** Whether a stored value is sealed under the current key (otherwise a start re-seals it). */
  isCurrent(stored: string): boolean;
}

/**
 * Per resource kind, where its stored payload (canonical proto-JSON) holds secrets: JSON-name
 * paths, lists crossed element by element, `*` for every value of a map. Derived from the proto
 * option (transport/codec/secret-paths.ts), so a field marked secret is sealed without a list here.
 */
export type SecretFieldPaths = Readonly<Record<string, readonly (readonly string[])[]>>;
