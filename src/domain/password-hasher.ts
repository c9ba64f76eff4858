import { Buffer } from 'node:buffer';
import { pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
// bcryptjs is pure computation (no I/O); this file is the only domain file allowed to import it.
import bcrypt from 'bcryptjs';
import { DomainError, invalidArgument } from './errors.js';
import type { ParsedHash } from './password-hash.js';
import { decodePhcB64, encodePhcB64, HASH_LIMITS, parsePasswordHash } from './password-hash.js';

/** How new hashes are made. `cost` is bcrypt's cost, or scrypt's log2 N (with r=8, p=1). */
export interface PasswordHasherConfig {
  readonly algorithm: 'bcrypt' | 'scrypt';
  readonly cost: number;
}

/** Hashes plaintext passwords and verifies them against any stored hash we can compute. */
export interface PasswordHasher {
  /** A new hash of `plain` in the configured algorithm; it always passes `parsePasswordHash`. */
  hash(plain: string): Promise<string>;
  /**
   * Whether `plain` matches `encoded`, compared in constant time. Supports bcrypt, scrypt and
   * pbkdf2-sha256/512. Throws `HASH-*` InvalidArgument when `encoded` does not parse, and
   * FailedPrecondition `HASH-verify-unsupported` for argon2, which is stored but not verifiable here
   * (Node 22's node:crypto has no Argon2 and no I/O-free npm package may be used).
   */
  verify(plain: string, encoded: string): Promise<boolean>;
}

// OWASP's scrypt recommendation (r=8, p=1); cost varies N only. 16 bytes of salt and a 32-byte key
// are what passlib and Kratos write.
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// bcrypt reads at most 72 bytes of the password and silently ignores the rest.
const BCRYPT_MAX_PASSWORD_BYTES = 72;

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
        return bcrypt.hash(plain, cost);
      }
      const salt = randomBytes(SALT_BYTES);
      const key = await scryptKey(plain, salt, KEY_BYTES, cost, SCRYPT_R, SCRYPT_P);
      return `$scrypt$ln=${cost},r=${SCRYPT_R},p=${SCRYPT_P}$${encodePhcB64(salt)}$${encodePhcB64(key)}`;
    },

    async verify(plain, encoded) {
      const parsed = parsePasswordHash(encoded);
      return constantTimeEqual(await recompute(plain, parsed), expectedBytes(parsed));
    },
  };
}

// Plain text is hashed as its UTF-8 bytes, without Unicode normalisation: the systems we import
// from hashed the bytes as typed, and normalising would make some of their passwords fail.
async function recompute(plain: string, parsed: ParsedHash): Promise<Buffer> {
  const { algorithm, params, encoded } = parsed;
  switch (algorithm) {
    case 'bcrypt':
      // Re-hash with the stored salt (the first 29 chars: $2b$NN$ + 22) and compare ourselves, so the
      // comparison is node:crypto's constant-time one. bcryptjs keeps the $2a$/$2b$/$2y$ prefix.
      return Buffer.from(await bcrypt.hash(plain, encoded.slice(0, 29)));
    case 'scrypt': {
      const { salt, key } = phcSaltAndKey(encoded);
      return scryptKey(plain, salt, key.length, num(params, 'ln'), num(params, 'r'), num(params, 'p'));
    }
    case 'pbkdf2-sha256':
    case 'pbkdf2-sha512': {
      const { salt, key } = phcSaltAndKey(encoded);
      const digest = algorithm === 'pbkdf2-sha256' ? 'sha256' : 'sha512';
      return pbkdf2Async(plain, salt, num(params, 'i'), key.length, digest);
    }
    case 'argon2id':
    case 'argon2i':
      throw new DomainError(
        'FailedPrecondition',
        'HASH-verify-unsupported',
        `${algorithm} hashes are stored but not supported for verification`,
      );
  }
}

function expectedBytes(parsed: ParsedHash): Buffer {
  return parsed.algorithm === 'bcrypt' ? Buffer.from(parsed.encoded) : phcSaltAndKey(parsed.encoded).key;
}

function constantTimeEqual(actual: Buffer, expected: Buffer): boolean {
  // Lengths come from the stored hash, so comparing them first leaks nothing about the password.
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function scryptKey(plain: string, salt: Uint8Array, keyBytes: number, ln: number, r: number, p: number) {
  const N = 2 ** ln;
  // OpenSSL needs 128·r·(N + p + 2) bytes (EVP_PBE_scrypt); Node's default cap of 32 MiB is too low
  // for OWASP's parameters. HASH_LIMITS.scrypt.maxNrp bounds this at ~256 MiB.
  const maxmem = 128 * r * (N + p + 2) + 1024 * 1024;
  return scryptAsync(plain, salt, keyBytes, { N, r, p, maxmem });
}

// parsePasswordHash has already checked the shape: `$id$params$salt$hash`, both strict PHC base64.
function phcSaltAndKey(encoded: string): { salt: Buffer; key: Buffer } {
  const [, , , salt, key] = encoded.split('$');
  const saltBytes = decodePhcB64(salt);
  const keyBytes = decodePhcB64(key);
  if (saltBytes === undefined || keyBytes === undefined) {
    throw invalidArgument('HASH-malformed', 'hash salt or key is not PHC base64');
  }
  return { salt: saltBytes, key: keyBytes };
}

function num(params: Readonly<Record<string, number>>, name: string): number {
  const value = params[name];
  if (value === undefined) throw invalidArgument('HASH-malformed', `hash is missing parameter ${name}`);
  return value;
}
