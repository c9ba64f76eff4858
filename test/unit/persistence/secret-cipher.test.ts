import { createHash } from 'node:crypto';
import { SecretKeyError } from '../../../src/domain/sealed-secret.js';
import { createAesGcmCipher, secretKeyId } from '../../../src/persistence/secrets/aes-gcm-cipher.js';

const keyA = Buffer.alloc(32, 1);
const keyB = Buffer.alloc(32, 2);
const SEED = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

/** Flips one bit of the decoded body at `at` (negative: from the end) and re-encodes it. */
function flip(sealed: string, at: number): string {
  const i = sealed.lastIndexOf(':');
  const body = Buffer.from(sealed.slice(i + 1), 'base64url');
  const index = at < 0 ? body.length + at : at;
  body[index] = (body[index] ?? 0) ^ 1;
  return `${sealed.slice(0, i + 1)}${body.toString('base64url')}`;
}

describe('AES-256-GCM secret cipher', () => {
  const a = createAesGcmCipher(keyA);

  test('seals into enc:v1:<keyId>:<base64url(iv|ciphertext|tag)> and opens back', () => {
    const sealed = a.seal(SEED);
    expect(sealed).toMatch(new RegExp(`^enc:v1:${a.keyId}:[A-Za-z0-9_-]+$`));
    expect(sealed).not.toContain(SEED);
    // 12-byte IV + plaintext + 16-byte tag.
    expect(Buffer.from(sealed.split(':')[3] as string, 'base64url')).toHaveLength(12 + SEED.length + 16);
    expect(a.open(sealed)).toBe(SEED);
    expect(a.open(a.seal(''))).toBe('');
    expect(a.open(a.seal('ünïcødé ✓'))).toBe('ünïcødé ✓');
  });

  test('a fresh IV each time: the same secret seals differently', () => {
    const seals = new Set(Array.from({ length: 50 }, () => a.seal(SEED)));
    expect(seals.size).toBe(50);
  });

  test('the key id is a short labelled digest of the key, not the key nor its bare digest', () => {
    expect(a.keyId).toBe(secretKeyId(keyA));
    expect(a.keyId).toMatch(/^[0-9a-f]{12}$/);
    expect(secretKeyId(keyB)).not.toBe(a.keyId);
    expect(createHash('sha256').update(keyA).digest('hex')).not.toContain(a.keyId);
    expect(a.keyId).not.toContain(keyA.toString('hex').slice(0, 12));
  });

  test.each([
    ['the IV', 0],
    ['the ciphertext', 14],
    ['the tag', -1],
  ])('tampering with %s fails the integrity check', (_part, at) => {
    const tampered = flip(a.seal(SEED), at);
    expect(() => a.open(tampered)).toThrow(SecretKeyError);
    expect(() => a.open(tampered)).toThrow(/fails its integrity check/);
  });

  test('the prefix is authenticated: a value relabelled with another known key id does not open', () => {
    const both = createAesGcmCipher(keyB, [keyA]);
    const relabelled = a.seal(SEED).replace(a.keyId, both.keyId);
    expect(() => both.open(relabelled)).toThrow(SecretKeyError);
  });

  test('an unknown key id is named, with the fix, and no key material', () => {
    const b = createAesGcmCipher(keyB);
    let error: unknown;
    try {
      b.open(a.seal(SEED));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SecretKeyError);
    expect((error as SecretKeyError).keyId).toBe(a.keyId);
    expect((error as Error).message).toContain(`sealed with key ${a.keyId}`);
    expect((error as Error).message).toMatch(/IDPORT_SECRETS_KEY or IDPORT_SECRETS_OLD_KEYS/);
    expect((error as Error).message).not.toContain(keyB.toString('base64'));
  });

  test('rotation: the current key seals, old keys still open, isCurrent tells them apart', () => {
    const rotated = createAesGcmCipher(keyB, [keyA]);
    const old = a.seal(SEED);
    expect(rotated.open(old)).toBe(SEED);
    expect(rotated.isCurrent(old)).toBe(false);
    const fresh = rotated.seal(SEED);
    expect(fresh.startsWith(`enc:v1:${secretKeyId(keyB)}:`)).toBe(true);
    expect(rotated.isCurrent(fresh)).toBe(true);
    expect(a.isCurrent(old)).toBe(true);
  });

  test('legacy plaintext (no enc: prefix) opens as itself and is never current', () => {
    expect(a.open(SEED)).toBe(SEED);
    expect(a.isCurrent(SEED)).toBe(false);
  });

  test.each([
    ['an unknown version', () => a.seal(SEED).replace('enc:v1:', 'enc:v9:')],
    ['a malformed value', () => 'enc:v1:nocolon'],
    ['a truncated body', () => `enc:v1:${a.keyId}:AAAA`],
  ])('%s is refused, not returned as garbage', (_name, make) => {
    expect(() => a.open(make())).toThrow(SecretKeyError);
  });

  test('keys must be 32 bytes', () => {
    expect(() => createAesGcmCipher(Buffer.alloc(16))).toThrow(/32 bytes/);
    expect(() => createAesGcmCipher(keyA, [Buffer.alloc(31)])).toThrow(/32 bytes/);
  });
});
