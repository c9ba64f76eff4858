import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { isSealed, parseSealed, type SecretCipher, SecretKeyError } from '../../domain/sealed-secret.js';

/** AES-256 takes a 32-byte key. */
export const SECRET_KEY_BYTES = 32;
/** 96-bit IVs: GCM's native size (NIST SP 800-38D §5.2.1.1), no GHASH derivation of the IV. */
const IV_BYTES = 12;
/** The full 128-bit tag (SP 800-38D §5.2.1.2 allows shorter; shorter only weakens it). */
const TAG_BYTES = 16;
const VERSION = 'v1';

/**
 * A key's public name: the first 12 hex digits of SHA-256 over a label and the key. The label
 * keeps the id from being the digest of the bare key, which other tools might print too.
 */
export function secretKeyId(key: Buffer): string {
  return createHash('sha256').update('idport secrets key id\0').update(key).digest('hex').slice(0, 12);
}

/**
 * AES-256-GCM over secrets at rest (format in domain/sealed-secret.ts). `current` seals; it and
 * every key in `old` open, so data sealed before a rotation stays readable until re-sealed.
 */
export function createAesGcmCipher(current: Buffer, old: readonly Buffer[] = []): SecretCipher {
  const keys = new Map<string, Buffer>();
  for (const key of [current, ...old]) {
    if (key.length !== SECRET_KEY_BYTES) throw new Error(`a secrets key must be ${SECRET_KEY_BYTES} bytes, got ${key.length}`);
    keys.set(secretKeyId(key), key);
  }
  const keyId = secretKeyId(current);
  const aad = (id: string) => Buffer.from(`enc:${VERSION}:${id}`);

  return {
    keyId,

    seal(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(keyId));
      const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `enc:${VERSION}:${keyId}:${body.toString('base64url')}`;
    },

    open(stored) {
      if (!isSealed(stored)) return stored;
      const parts = parseSealed(stored);
      if (!parts || parts.version !== VERSION) {
        throw new SecretKeyError(`a stored secret is not in a format this idport reads (${stored.slice(0, 8)}…)`);
      }
      const key = keys.get(parts.keyId);
      if (!key) {
        throw new SecretKeyError(
          `stored secrets are sealed with key ${parts.keyId}, which is not configured (current key ${keyId}): ` +
            'set IDPORT_SECRETS_KEY or IDPORT_SECRETS_OLD_KEYS to that key, or restore its key file',
          parts.keyId,
        );
      }
      const body = Buffer.from(parts.body, 'base64url');
      if (body.length < IV_BYTES + TAG_BYTES)
        throw new SecretKeyError(`a stored secret under key ${parts.keyId} is truncated`, parts.keyId);
      const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(parts.keyId));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        // Node reports a failed tag as "Unsupported state or unable to authenticate data".
        throw new SecretKeyError(`a stored secret under key ${parts.keyId} fails its integrity check (changed or corrupted)`, parts.keyId);
      }
    },

    isCurrent(stored) {
      return parseSealed(stored)?.keyId === keyId && stored.startsWith(`enc:${VERSION}:`);
    },
  };
}
