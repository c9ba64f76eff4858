import { invalidArgument } from './errors.js';
import { type CryptAlgorithm, parseCryptHash } from './password-hash-crypt.js';
import { isPbkdf2Id, KDF_LIMITS, type KdfAlgorithm, parseArgon2, parsePbkdf2, parseScrypt } from './password-hash-kdf.js';

export { decodePhcB64, encodePhcB64 } from './password-hash-kdf.js';

/**
 * The password-hash families idport accepts on import: every family ZITADEL verifies through
 * zitadel/passwap (bcrypt, argon2i/id, scrypt, pbkdf2, md5-crypt, sha-crypt, phpass, drupal7 and
 * the md5 variants), plus the encodings Kratos and Keycloak exports carry (Kratos' scrypt,
 * Keycloak's pbkdf2 credentials as zitadel-tools converts them). Stored as they came.
 */
export type HashAlgorithm = 'bcrypt' | KdfAlgorithm | CryptAlgorithm;

/**
 * A password hash that passed {@link parsePasswordHash}. `params` holds the cost parameters under
 * their names in the encoded form (`cost` for bcrypt, `v`/`m`/`t`/`p` for argon2, `ln`/`r`/`p`
 * (or Kratos' `n`/`r`/`p`) for scrypt, `i`/`l` or `rounds` for pbkdf2, `rounds` for sha-crypt,
 * `log2` for phpass and drupal7); `encoded` is the input, unchanged.
 */
export interface ParsedHash {
  readonly algorithm: HashAlgorithm;
  readonly params: Readonly<Record<string, number>>;
  readonly encoded: string;
}

/**
 * Bounds on imported hashes. Upper bounds exist because verifying a hash costs what its parameters
 * say: an export file can carry a hash that takes minutes or gigabytes per login attempt, which is
 * a DoS on the verifier (STYLE.md habit 5, after ory/kratos `hash/hash_limits.go`). Lower bounds are only
 * the algorithms' own minimums: a hash that is weak but valid is still accepted, because rejecting
 * it would lock its user out; re-hashing with our own parameters on the next login is the fix.
 * Timings were measured with Node 22.23 on a 2-core development machine (node:crypto, @node-rs).
 * The crypt-style families' bounds are CRYPT_LIMITS in password-hash-crypt.ts.
 */
export const HASH_LIMITS = {
  /** Longest accepted encoded hash; the largest legal one here is ~250 chars. Checked before any parsing. */
  maxEncodedLength: 512,
  bcrypt: {
    /** 4 is bcrypt's own minimum (OpenBSD `bcrypt_newhash`); below it the hash is malformed. */
    minCost: 4,
    /**
     * Common defaults are 10 (Spring, bcryptjs) to 12 (Laravel, Rails); OWASP asks for at least 10.
     * Each step doubles the work: cost 12 takes 250 ms, so 16 takes ~4 s and 18 ~16 s.
     * 16 leaves four doublings of headroom over the usual defaults and keeps one login under ~5 s.
     */
    maxCost: 16,
  },
  ...KDF_LIMITS,
} as const;

const SUPPORTED =
  'bcrypt, argon2i/argon2id, scrypt, pbkdf2 (PHC i= or passlib form), md5-crypt, sha256/sha512-crypt, phpass, drupal7, md5 (plain or md5salted)';

/**
 * Hashes ZITADEL cannot verify (so a user imported with one could never log in there either).
 * Everything else that looks like a hash is accepted; these are named so the error says why.
 */
const REFUSED: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\$2x?\$/, 'bcrypt variants $2$ and $2x$ are not accepted: they predate or carry the crypt_blowfish sign bug'],
  [/^\$argon2d\$/, 'argon2d hashes are not accepted: ZITADEL (passwap) does not verify argon2d'],
  [
    /^\$(md5|sha1|sha256|sha512|hmac-[a-z0-9]+|firescrypt)\$/,
    'Kratos salted-digest, HMAC and Firebase scrypt hashes are not verifiable by ZITADEL',
  ],
  [/^\{(S?SHA(256|384|512)?|S?MD5|CRYPT)\}/i, 'LDAP {SHA}/{SSHA}/{MD5}/{CRYPT} hashes are not verifiable by ZITADEL'],
  [/^([0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$/i, 'unsalted SHA-1/SHA-2 hex digests are not verifiable by ZITADEL (only plain MD5 is)'],
];

/**
 * Parses an imported password hash, accepting the families of {@link HashAlgorithm} within
 * {@link HASH_LIMITS}. Throws `DomainError` InvalidArgument with id `HASH-unsupported` (not a hash
 * we know, or one ZITADEL cannot verify), `HASH-malformed` (bad shape, encoding or length) or
 * `HASH-cost` (parameters beyond the DoS bounds). Messages name the algorithm and never contain the hash.
 */
export function parsePasswordHash(value: string): ParsedHash {
  if (value.length === 0) throw invalidArgument('HASH-malformed', 'password hash is empty');
  if (value.length > HASH_LIMITS.maxEncodedLength) {
    throw invalidArgument('HASH-malformed', `password hash is longer than ${HASH_LIMITS.maxEncodedLength} characters`);
  }
  for (const [pattern, message] of REFUSED) {
    if (pattern.test(value)) throw invalidArgument('HASH-unsupported', `${message}; supported: ${SUPPORTED}`);
  }
  if (/^\$2[aby]\$/.test(value)) return parseBcrypt(value);
  const crypt = parseCryptHash(value);
  if (crypt) return { ...crypt, encoded: value };
  // The identifier is not echoed: for an unknown format we cannot tell it apart from secret text.
  const id = /^\$([a-z0-9-]{1,32})\$/.exec(value)?.[1] ?? '';
  if (id === 'argon2id' || id === 'argon2i') return { ...parseArgon2(id, value), encoded: value };
  // passwap reads `$7$ln=…` (its "Linux" scrypt prefix) like `$scrypt$`.
  if (id === 'scrypt' || (id === '7' && value.startsWith('$7$ln='))) return { ...parseScrypt(value), encoded: value };
  if (isPbkdf2Id(id)) return { ...parsePbkdf2(id, value), encoded: value };
  throw invalidArgument('HASH-unsupported', `password hash is not in a recognised format; supported: ${SUPPORTED}`);
}

// bcrypt's modular crypt form: $2b$<two-digit cost>$<22 salt chars><31 hash chars>, in bcrypt's own
// base64 alphabet. The unused low bits of the last salt/hash char are not checked: OpenBSD ignores them.
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

function parseBcrypt(value: string): ParsedHash {
  const match = BCRYPT.exec(value);
  if (match?.[1] === undefined) {
    throw invalidArgument(
      'HASH-malformed',
      'bcrypt hash must be $2b$<cost>$ then 53 characters of the bcrypt alphabet (22 salt + 31 hash)',
    );
  }
  const cost = Number(match[1]);
  const { minCost, maxCost } = HASH_LIMITS.bcrypt;
  if (cost < minCost || cost > 31)
    throw invalidArgument('HASH-malformed', `bcrypt hash cost ${cost} is outside bcrypt's range ${minCost}..31`);
  if (cost > maxCost) {
    throw invalidArgument(
      'HASH-cost',
      `bcrypt hash cost ${cost} exceeds the accepted maximum of ${maxCost}; the bound prevents denial of service on verification`,
    );
  }
  return { algorithm: 'bcrypt', params: { cost }, encoded: value };
}
