import { Buffer } from 'node:buffer';
import { pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
// Native argon2 and bcrypt (Rust, run on libuv's thread pool): pure computation, no I/O, and the
// event loop stays free while hundreds of imported passwords are hashed or verified. This file
// is the only domain file allowed to import them.
import { verify as argon2Verify } from '@node-rs/argon2';
import { hash as bcryptHash, verify as bcryptVerify } from '@node-rs/bcrypt';
import { invalidArgument } from './errors.js';
import type { ParsedHash } from './password-hash.js';
import { encodePhcB64, HASH_LIMITS, parsePasswordHash } from './password-hash.js';
import type { CryptAlgorithm } from './password-hash-crypt.js';
import { kdfInputs, type ParsedKdf } from './password-hash-kdf.js';
import { verifyCrypt } from './password-verify-crypt.js';

/** How new hashes are made. `cost` is bcrypt's cost, or scrypt's log2 N (with r=8, p=1). */
export interface PasswordHasherConfig {
  readonly algorithm: 'bcrypt' | 'scrypt';
  readonly cost: number;
}

/** Hashes plaintext passwords and verifies them against any stored hash idport accepts. */
export interface PasswordHasher {
  /** A new hash of `plain` in the configured algorithm; it always passes `parsePasswordHash`. */
  hash(plain: string): Promise<string>;
  /**
   * Whether `plain` matches `encoded`, compared in constant time, for every family
   * `parsePasswordHash` accepts. Throws `HASH-*` InvalidArgument when `encoded` does not parse.
   */
  verify(plain: string, encoded: string): Promise<boolean>;
}

// OWASP's scrypt recommendation (r=8, p=1); cost varies N only. 16 bytes of salt and a 32-byte key
// are what passlib and Kratos write.
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** bcrypt reads at most 72 bytes of the password and silently ignores the rest. */
export const BCRYPT_MAX_PASSWORD_BYTES = 72;

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Uint8Array,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;
const pbkdf2Async = promisify(pbkdf2);

/**
 * Creates a hasher. The cost must lie inside the import bounds (`HASH_LIMITS`), so our own hashes are
 * always importable again: bcrypt 4..16, scrypt log2 N 1..18 (N·8·1 ≤ 2^21). Use at least bcrypt 10
 * or scrypt 16 in production; lower costs exist for tests.
 */
export function createPasswordHasher(config: PasswordHasherConfig): PasswordHasher {
  const { algorithm, cost } = config;
  const maxCost = algorithm === 'bcrypt' ? HASH_LIMITS.bcrypt.maxCost : Math.log2(HASH_LIMITS.scrypt.maxNrp / (SCRYPT_R * SCRYPT_P));
  const minCost = algorithm === 'bcrypt' ? HASH_LIMITS.bcrypt.minCost : 1;
  if (!Number.isInteger(cost) || cost < minCost || cost > maxCost) {
    throw invalidArgument('HASH-config', `${algorithm} cost must be an integer in ${minCost}..${maxCost}`);
  }

  return {
    async hash(plain) {
      if (algorithm === 'bcrypt') {
        // Refuse rather than truncate: two passwords sharing 72 bytes would otherwise share a hash.
        if (Buffer.byteLength(plain, 'utf8') > BCRYPT_MAX_PASSWORD_BYTES) {
          const message = `bcrypt accepts at most ${BCRYPT_MAX_PASSWORD_BYTES} bytes of password`;
          throw invalidArgument('HASH-password-too-long', message);
        }
        return bcryptHash(plain, cost);
      }
      const salt = randomBytes(SALT_BYTES);
      const key = await scryptKey(plain, salt, KEY_BYTES, 2 ** cost, SCRYPT_R, SCRYPT_P);
      return `$scrypt$ln=${cost},r=${SCRYPT_R},p=${SCRYPT_P}$${encodePhcB64(salt)}$${encodePhcB64(key)}`;
    },

    async verify(plain, encoded) {
      return verifyParsed(plain, parsePasswordHash(encoded));
    },
  };
}

const PBKDF2_DIGEST = {
  'pbkdf2-sha1': 'sha1',
  'pbkdf2-sha224': 'sha224',
  'pbkdf2-sha256': 'sha256',
  'pbkdf2-sha384': 'sha384',
  'pbkdf2-sha512': 'sha512',
};

// Plain text is hashed as its UTF-8 bytes, without Unicode normalisation: the systems we import
// from hashed the bytes as typed, and normalising would make some of their passwords fail.
async function verifyParsed(plain: string, parsed: ParsedHash): Promise<boolean> {
  const { algorithm, params, encoded } = parsed;
  switch (algorithm) {
    case 'bcrypt':
      // bcrypt only reads 72 bytes; a longer password cannot be the one this hash was made from
      // by a verifier that refuses to truncate (ours), and must not match by its prefix.
      if (Buffer.byteLength(plain, 'utf8') > BCRYPT_MAX_PASSWORD_BYTES) return false;
      return bcryptVerify(plain, encoded);
    case 'argon2id':
    case 'argon2i':
      return argon2Verify(encoded, plain);
    case 'scrypt': {
      const { salt, key } = kdfInputs(parsed as ParsedKdf, encoded);
      const n = params.n ?? 2 ** (params.ln ?? 1);
      return equal(await scryptKey(plain, salt, key.length, n, params.r ?? 8, params.p ?? 1), key);
    }
    case 'pbkdf2-sha1':
    case 'pbkdf2-sha224':
    case 'pbkdf2-sha256':
    case 'pbkdf2-sha384':
    case 'pbkdf2-sha512': {
      const { salt, key } = kdfInputs(parsed as ParsedKdf, encoded);
      const rounds = params.i ?? params.rounds ?? 1;
      return equal(await pbkdf2Async(plain, salt, rounds, key.length, PBKDF2_DIGEST[algorithm]), key);
    }
    default:
      return verifyCrypt(plain, encoded, { algorithm: algorithm as CryptAlgorithm, params });
  }
}

function equal(actual: Buffer, expected: Buffer): boolean {
  // Lengths come from the stored hash, so comparing them first leaks nothing about the password.
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function scryptKey(plain: string, salt: Uint8Array, keyBytes: number, N: number, r: number, p: number) {
  // OpenSSL needs 128·r·(N + p + 2) bytes (EVP_PBE_scrypt); Node's default cap of 32 MiB is too low
  // for OWASP's parameters. HASH_LIMITS.scrypt.maxNrp bounds this at ~256 MiB.
  const maxmem = 128 * r * (N + p + 2) + 1024 * 1024;
  return scryptAsync(plain, salt, keyBytes, { N, r, p, maxmem });
}
