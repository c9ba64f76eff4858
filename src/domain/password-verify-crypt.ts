import { Buffer } from 'node:buffer';
import { createHash, timingSafeEqual } from 'node:crypto';
import { CRYPT64, type ParsedCrypt } from './password-hash-crypt.js';

/**
 * Recomputes the crypt-style hashes of password-hash-crypt.ts from their published algorithms
 * (md5-crypt: Poul-Henning Kamp's FreeBSD crypt; sha-crypt: Ulrich Drepper's "Unix crypt using
 * SHA-256 and SHA-512"; phpass: Solar Designer's portable hashes; drupal7: phpass with SHA-512)
 * and compares in constant time. Their costs are bounded by CRYPT_LIMITS, so one call stays
 * around a second at most.
 */
export function verifyCrypt(plain: string, encoded: string, parsed: ParsedCrypt): boolean {
  const pw = Buffer.from(plain, 'utf8');
  switch (parsed.algorithm) {
    case 'md5-crypt':
    case 'apr1-crypt': {
      const [, magic, salt] = encoded.split('$');
      return same(md5Crypt(pw, Buffer.from(salt ?? '', 'utf8'), `$${magic}$`), encoded.slice(encoded.lastIndexOf('$') + 1));
    }
    case 'sha256-crypt':
    case 'sha512-crypt': {
      const parts = encoded.split('$');
      const salt = parts[parts.length - 2] ?? '';
      const digest = parsed.algorithm === 'sha256-crypt' ? 'sha256' : 'sha512';
      return same(shaCrypt(digest, pw, Buffer.from(salt, 'utf8'), parsed.params.rounds ?? 5000), parts[parts.length - 1] ?? '');
    }
    case 'phpass':
    case 'drupal7': {
      const salt = Buffer.from(encoded.slice(4, 12), 'utf8');
      const digest = parsed.algorithm === 'phpass' ? 'md5' : 'sha512';
      const out = portableHash(digest, pw, salt, 2 ** (parsed.params.log2 ?? 0));
      const want = encoded.slice(12);
      return same(out.slice(0, want.length), want);
    }
    case 'md5-plain':
      return same(createHash('md5').update(pw).digest('hex'), encoded.toLowerCase());
    case 'md5-salted-prefix':
    case 'md5-salted-suffix': {
      const [, , salt = '', want = ''] = encoded.split('$');
      const input = parsed.algorithm === 'md5-salted-prefix' ? salt + plain : plain + salt;
      return same(createHash('md5').update(input, 'utf8').digest('base64'), want);
    }
  }
}

function same(actual: string, expected: string): boolean {
  const a = Buffer.from(actual);
  const b = Buffer.from(expected);
  // The length comes from the stored hash: comparing it first leaks nothing about the password.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** crypt(3)'s base64: groups of three bytes (b2 high), six bits at a time, least significant first. */
function crypt64(bytes: Buffer, groups: readonly (readonly number[])[]): string {
  let out = '';
  for (const g of groups) {
    const [i2, i1, i0] = g;
    let w = ((i2 === undefined || i2 < 0 ? 0 : (bytes[i2] ?? 0)) << 16) | ((i1 === undefined || i1 < 0 ? 0 : (bytes[i1] ?? 0)) << 8);
    w |= i0 === undefined || i0 < 0 ? 0 : (bytes[i0] ?? 0);
    const chars = g[3] ?? 4;
    for (let n = 0; n < chars; n++) {
      out += CRYPT64[w & 0x3f];
      w >>= 6;
    }
  }
  return out;
}

const MD5_GROUPS = [
  [0, 6, 12],
  [1, 7, 13],
  [2, 8, 14],
  [3, 9, 15],
  [4, 10, 5],
  [-1, -1, 11, 2],
];

function md5Crypt(pw: Buffer, salt: Buffer, magic: string): string {
  const md5 = () => createHash('md5');
  const alt = md5().update(pw).update(salt).update(pw).digest();
  const ctx = md5().update(pw).update(magic).update(salt);
  for (let left = pw.length; left > 0; left -= 16) ctx.update(alt.subarray(0, Math.min(16, left)));
  for (let i = pw.length; i > 0; i >>= 1) ctx.update(i & 1 ? Buffer.alloc(1) : pw.subarray(0, 1));
  let hash = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const round = md5();
    round.update(i & 1 ? pw : hash);
    if (i % 3) round.update(salt);
    if (i % 7) round.update(pw);
    round.update(i & 1 ? hash : pw);
    hash = round.digest();
  }
  return crypt64(hash, MD5_GROUPS);
}

/** `source` repeated and cut to `length` bytes. */
const repeatTo = (source: Buffer, length: number) => {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += source.length) source.copy(out, i, 0, Math.min(source.length, length - i));
  return out;
};

const SHA256_GROUPS = [
  [0, 10, 20],
  [21, 1, 11],
  [12, 22, 2],
  [3, 13, 23],
  [24, 4, 14],
  [15, 25, 5],
  [6, 16, 26],
  [27, 7, 17],
  [18, 28, 8],
  [9, 19, 29],
  [-1, 31, 30, 3],
];
const SHA512_GROUPS = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
  [-1, -1, 63, 2],
];

function shaCrypt(digest: 'sha256' | 'sha512', pw: Buffer, salt: Buffer, rounds: number): string {
  const h = () => createHash(digest);
  const b = h().update(pw).update(salt).update(pw).digest();
  const a = h().update(pw).update(salt).update(repeatTo(b, pw.length));
  for (let i = pw.length; i > 0; i >>= 1) a.update(i & 1 ? b : pw);
  const digestA = a.digest();
  const dp = h();
  for (let i = 0; i < pw.length; i++) dp.update(pw);
  const p = repeatTo(dp.digest(), pw.length);
  const ds = h();
  for (let i = 0; i < 16 + (digestA[0] ?? 0); i++) ds.update(salt);
  const s = repeatTo(ds.digest(), salt.length);
  let c = digestA;
  for (let i = 0; i < rounds; i++) {
    const round = h();
    round.update(i & 1 ? p : c);
    if (i % 3) round.update(s);
    if (i % 7) round.update(p);
    round.update(i & 1 ? c : p);
    c = round.digest();
  }
  return crypt64(c, digest === 'sha256' ? SHA256_GROUPS : SHA512_GROUPS);
}

/** phpass' encode64: little-endian groups of three bytes, six bits at a time. */
function portable64(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const w = (bytes[i] ?? 0) | ((bytes[i + 1] ?? 0) << 8) | ((bytes[i + 2] ?? 0) << 16);
    const chars = i + 1 >= bytes.length ? 2 : i + 2 >= bytes.length ? 3 : 4;
    for (let n = 0; n < chars; n++) out += CRYPT64[(w >> (6 * n)) & 0x3f];
  }
  return out;
}

function portableHash(digest: 'md5' | 'sha512', pw: Buffer, salt: Buffer, count: number): string {
  let hash = createHash(digest).update(salt).update(pw).digest();
  for (let i = 0; i < count; i++) hash = createHash(digest).update(hash).update(pw).digest();
  return portable64(hash);
}
