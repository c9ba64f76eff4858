import { Buffer } from 'node:buffer';
import { invalidArgument } from './errors.js';

/** The password-hash algorithms idport accepts on import (habit 5: checked at the door). */
export type HashAlgorithm = 'bcrypt' | 'argon2id' | 'argon2i' | 'scrypt' | 'pbkdf2-sha256' | 'pbkdf2-sha512';

/**
 * A password hash that passed {@link parsePasswordHash}. `params` holds the cost parameters under
 * their names in the encoded form (`cost` for bcrypt, `v`/`m`/`t`/`p` for argon2, `ln`/`r`/`p` for
 * scrypt, `i` and optional `l` for pbkdf2); `encoded` is the input, unchanged.
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
 * Timings were measured with Node 22.23 on a 2-core development machine (bcryptjs, node:crypto).
 */
export const HASH_LIMITS = {
  /** Longest accepted encoded hash; the largest legal one here is ~250 chars. Checked before any parsing. */
  maxEncodedLength: 512,
  bcrypt: {
    /** 4 is bcrypt's own minimum (OpenBSD `bcrypt_newhash`); below it the hash is malformed. */
    minCost: 4,
    /**
     * Common defaults are 10 (Spring, bcryptjs) to 12 (Laravel, Rails); OWASP asks for at least 10.
     * Each step doubles the work: cost 12 takes 250 ms in bcryptjs, so 16 takes ~4 s and 18 ~16 s.
     * 16 leaves four doublings of headroom over the usual defaults and keeps one login under ~5 s.
     */
    maxCost: 16,
  },
  argon2: {
    /**
     * Memory per verification, KiB. 256 MiB covers RFC 9106's second recommended option (64 MiB),
     * OWASP (19–46 MiB), Kratos' default (128 MiB) and libsodium MODERATE (256 MiB). RFC 9106's first
     * option (2 GiB) is rejected on purpose: a few concurrent logins would exhaust the host.
     */
    maxMemoryKiB: 262_144,
    /** Passes. OWASP's table tops out at t=5 and libsodium SENSITIVE uses 4; 10 is twice that. */
    maxTime: 10,
    /** Work ≈ memory × passes. 1 GiB·pass admits libsodium MODERATE (256 MiB × 3) but not 256 MiB × 10. */
    maxMemoryTimeKiB: 1_048_576,
    /**
     * Lanes. Total work is m×t whatever p is, but verifiers such as libargon2 start a thread per lane.
     * Kratos defaults to 2×CPUs, so 255 (one byte) keeps its hashes from large hosts importable.
     */
    maxParallelism: 255,
  },
  scrypt: {
    /**
     * N·r·p bounds both memory (128·N·r bytes) and time. 2^21 is twice OWASP's N=2^17, r=8, p=1,
     * i.e. 256 MiB and ~630 ms at ln=18, r=8, p=1; passlib's default (ln=16) uses a quarter of it.
     */
    maxNrp: 2 ** 21,
  },
  pbkdf2: {
    /** OWASP 2023 asks 600,000 for HMAC-SHA256 and Django 6.0 uses 1.2 M; 5 M takes ~0.6 s here. */
    'pbkdf2-sha256': { maxIterations: 5_000_000 },
    /** OWASP 2023 asks 210,000 for HMAC-SHA512; SHA-512 is ~3× slower per round, 2 M takes ~0.8 s. */
    'pbkdf2-sha512': { maxIterations: 2_000_000 },
  },
  /** Salt bytes for PHC formats: 8 is the Argon2 spec minimum (RFC 9106 §3.1), 64 is generous. */
  salt: { minBytes: 8, maxBytes: 64 },
  /** Derived-key bytes: below 16 (128 bits) a hash is truncated; above 64 no format produces it. */
  key: { minBytes: 16, maxBytes: 64 },
} as const;

const SUPPORTED = 'bcrypt ($2a$/$2b$/$2y$), or PHC argon2id, argon2i, scrypt, pbkdf2-sha256, pbkdf2-sha512';

const FAST = 'the algorithm is too weak (fast, not memory-hard)';

const malformed = (what: string, problem: string) => invalidArgument('HASH-malformed', `${what} hash ${problem}`);
const tooCostly = (what: string, problem: string) =>
  invalidArgument('HASH-cost', `${what} hash ${problem}; the bound prevents denial of service on verification`);

/**
 * Formats we recognise and refuse. Fast or unsalted digests can be brute-forced on a GPU at
 * billions of guesses per second, so storing them would weaken every imported account; their users
 * must reset their password (or be imported with a plaintext password, which we hash).
 */
const REFUSED: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\$(1|md5-crypt)\$/, 'md5-crypt ($1$) hashes are not accepted: the algorithm is too weak'],
  [/^\$apr1\$/, 'Apache md5-crypt ($apr1$) hashes are not accepted: the algorithm is too weak'],
  [/^\$(5|sha256-crypt)\$/, `sha256-crypt ($5$) hashes are not accepted: ${FAST}`],
  [/^\$(6|sha512-crypt)\$/, `sha512-crypt ($6$) hashes are not accepted: ${FAST}`],
  [/^\$2x?\$/, 'bcrypt variants $2$ and $2x$ are not accepted: they predate or carry the crypt_blowfish sign bug'],
  [/^\$(md5|sha1|sha256|sha512|hmac-[a-z0-9]+)\$/, `salted fast-digest hashes are not accepted: ${FAST}`],
  [/^\{(S?SHA(256|384|512)?|S?MD5|CRYPT)\}/i, 'LDAP {SHA}/{SSHA}/{MD5}/{CRYPT} hashes are not accepted: too weak'],
  [
    /^([0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$/i,
    'unsalted hex digests (MD5/SHA-1/SHA-2) are not accepted: the algorithm is too weak',
  ],
];

/**
 * Parses an imported password hash, accepting only the formats in {@link HashAlgorithm} within
 * {@link HASH_LIMITS}. Throws `DomainError` InvalidArgument with id `HASH-unsupported` (unknown or
 * refused algorithm), `HASH-malformed` (bad shape, encoding or length) or `HASH-cost` (parameters
 * beyond the DoS bounds). Messages name the algorithm and never contain the hash.
 */
export function parsePasswordHash(value: string): ParsedHash {
  if (value.length === 0) throw invalidArgument('HASH-malformed', 'password hash is empty');
  if (value.length > HASH_LIMITS.maxEncodedLength) {
    const max = HASH_LIMITS.maxEncodedLength;
    throw invalidArgument('HASH-malformed', `password hash is longer than ${max} characters`);
  }
  for (const [pattern, message] of REFUSED) {
    if (pattern.test(value)) throw invalidArgument('HASH-unsupported', `${message}; supported: ${SUPPORTED}`);
  }
  if (/^\$2[aby]\$/.test(value)) return parseBcrypt(value);
  // The identifier is not echoed: for an unknown format we cannot tell it apart from secret text.
  const id = /^\$([a-z0-9-]{1,32})\$/.exec(value)?.[1];
  switch (id) {
    case 'argon2id':
    case 'argon2i':
      return parseArgon2(id, value);
    case 'scrypt':
      return parseScrypt(value);
    case 'pbkdf2-sha256':
    case 'pbkdf2-sha512':
      return parsePbkdf2(id, value);
    default:
      throw invalidArgument('HASH-unsupported', `password hash is not in a recognised format; supported: ${SUPPORTED}`);
  }
}

// bcrypt's modular crypt form: $2b$<two-digit cost>$<22 salt chars><31 hash chars>, in bcrypt's own
// base64 alphabet. The unused low bits of the last salt/hash char are not checked: OpenBSD ignores them.
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

function parseBcrypt(value: string): ParsedHash {
  const match = BCRYPT.exec(value);
  if (match?.[1] === undefined) {
    throw malformed('bcrypt', 'must be $2b$<cost>$ then 53 characters of the bcrypt alphabet (22 salt + 31 hash)');
  }
  const cost = Number(match[1]);
  const { minCost, maxCost } = HASH_LIMITS.bcrypt;
  if (cost < minCost || cost > 31) throw malformed('bcrypt', `cost ${cost} is outside bcrypt's range ${minCost}..31`);
  if (cost > maxCost) throw tooCostly('bcrypt', `cost ${cost} exceeds the accepted maximum of ${maxCost}`);
  return { algorithm: 'bcrypt', params: { cost }, encoded: value };
}

function parseArgon2(algorithm: 'argon2id' | 'argon2i', value: string): ParsedHash {
  const parts = value.split('$');
  // ['', id, 'v=19', 'm=..,t=..,p=..', salt, hash]. Hashes without v= are Argon2 1.0 (0x10).
  if (parts.length === 5 && /^m=/.test(parts[2] ?? '')) {
    throw invalidArgument('HASH-unsupported', `${algorithm} version 1.0 hashes (no v=19) are not supported`);
  }
  if (parts.length !== 6) {
    throw malformed(algorithm, 'must be $<id>$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>');
  }
  const { v } = phcParams(algorithm, parts[2], ['v'], []);
  if (v !== 19) throw invalidArgument('HASH-unsupported', `${algorithm} version ${v} is not supported; only v=19 is`);
  const { m, t, p } = phcParams(algorithm, parts[3], ['m', 't', 'p'], []);
  if (m === undefined || t === undefined || p === undefined) throw malformed(algorithm, 'is missing m, t or p');
  const limits = HASH_LIMITS.argon2;
  // Minimums from RFC 9106 §3.1: p ≥ 1, t ≥ 1, m ≥ 8·p KiB.
  if (p < 1 || t < 1 || m < 8 * p) {
    throw malformed(algorithm, 'parameters are below the Argon2 minimums (p ≥ 1, t ≥ 1, m ≥ 8·p)');
  }
  if (m > limits.maxMemoryKiB) {
    throw tooCostly(algorithm, `memory m=${m} KiB exceeds the accepted maximum of ${limits.maxMemoryKiB}`);
  }
  if (t > limits.maxTime) throw tooCostly(algorithm, `passes t=${t} exceed the accepted maximum of ${limits.maxTime}`);
  if (m * t > limits.maxMemoryTimeKiB) {
    throw tooCostly(algorithm, `work m×t=${m * t} KiB exceeds the accepted maximum of ${limits.maxMemoryTimeKiB}`);
  }
  if (p > limits.maxParallelism) {
    throw tooCostly(algorithm, `lanes p=${p} exceed the accepted maximum of ${limits.maxParallelism}`);
  }
  phcSaltAndKey(algorithm, parts[4], parts[5]);
  return { algorithm, params: { v, m, t, p }, encoded: value };
}

function parseScrypt(value: string): ParsedHash {
  const parts = value.split('$');
  if (parts.length !== 5) {
    throw malformed('scrypt', 'must be $scrypt$ln=<log2 N>,r=<block size>,p=<parallelism>$<salt>$<hash>');
  }
  const { ln, r, p } = phcParams('scrypt', parts[2], ['ln', 'r', 'p'], []);
  if (ln === undefined || r === undefined || p === undefined) throw malformed('scrypt', 'is missing ln, r or p');
  // scrypt needs N = 2^ln > 1, r ≥ 1 and p ≥ 1 (RFC 7914 §2).
  if (ln < 1 || r < 1 || p < 1) {
    throw malformed('scrypt', 'parameters are below the scrypt minimums (ln ≥ 1, r ≥ 1, p ≥ 1)');
  }
  const { maxNrp } = HASH_LIMITS.scrypt;
  if (2 ** ln * r * p > maxNrp) {
    throw tooCostly('scrypt', `work N·r·p exceeds the accepted maximum of 2^${Math.log2(maxNrp)}`);
  }
  phcSaltAndKey('scrypt', parts[3], parts[4]);
  return { algorithm: 'scrypt', params: { ln, r, p }, encoded: value };
}

/**
 * PBKDF2 in the PHC form Kratos decodes and RustCrypto's `pbkdf2` crate writes:
 * `$pbkdf2-sha256$i=<iterations>[,l=<key bytes>]$<salt>$<hash>`, standard base64 without padding.
 * passlib's `$pbkdf2-sha256$<rounds>$…` uses a different alphabet ("." for "+") and is refused.
 */
function parsePbkdf2(algorithm: 'pbkdf2-sha256' | 'pbkdf2-sha512', value: string): ParsedHash {
  const parts = value.split('$');
  if (parts.length !== 5 || !(parts[2] ?? '').startsWith('i=')) {
    const shape = `$${algorithm}$i=<iterations>[,l=<key bytes>]$<salt>$<hash>`;
    throw malformed(algorithm, `must be ${shape} (passlib's bare-rounds form is not accepted)`);
  }
  const { i, l } = phcParams(algorithm, parts[2], ['i'], ['l']);
  if (i === undefined || i < 1) throw malformed(algorithm, 'iterations must be at least 1');
  const { maxIterations } = HASH_LIMITS.pbkdf2[algorithm];
  if (i > maxIterations) {
    throw tooCostly(algorithm, `iterations i=${i} exceed the accepted maximum of ${maxIterations}`);
  }
  const { keyBytes } = phcSaltAndKey(algorithm, parts[3], parts[4]);
  if (l !== undefined && l !== keyBytes) {
    throw malformed(algorithm, `declares l=${l} but its hash is ${keyBytes} bytes`);
  }
  return { algorithm, params: l === undefined ? { i } : { i, l }, encoded: value };
}

/**
 * Reads `name=value,…` in the fixed order the format defines (the PHC string format requires a
 * fixed order per function). Values are decimal without leading zeros, as the PHC format demands.
 */
function phcParams(
  algorithm: HashAlgorithm,
  segment: string | undefined,
  required: readonly string[],
  optional: readonly string[],
): Record<string, number | undefined> {
  const allowed = [...required, ...optional];
  const pairs = (segment ?? '').split(',').map((pair) => /^([a-z]+)=(0|[1-9]\d{0,9})$/.exec(pair));
  const shapeOk =
    pairs.length >= required.length &&
    pairs.length <= allowed.length &&
    pairs.every((match, index) => match?.[1] !== undefined && match[1] === allowed[index]);
  if (!shapeOk) throw malformed(algorithm, `parameters must be ${allowed.join(',')} with decimal values`);
  const result: Record<string, number | undefined> = {};
  for (const match of pairs) if (match?.[1] !== undefined) result[match[1]] = Number(match[2]);
  return result;
}

function phcSaltAndKey(algorithm: HashAlgorithm, salt: string | undefined, key: string | undefined) {
  const saltBytes = decodePhcB64(salt)?.length;
  const keyBytes = decodePhcB64(key)?.length;
  if (saltBytes === undefined || keyBytes === undefined) {
    throw malformed(algorithm, 'salt and hash must be PHC base64 (standard alphabet, no padding)');
  }
  const { salt: s, key: k } = HASH_LIMITS;
  if (saltBytes < s.minBytes || saltBytes > s.maxBytes) {
    throw malformed(algorithm, `salt is ${saltBytes} bytes; accepted: ${s.minBytes}..${s.maxBytes}`);
  }
  if (keyBytes < k.minBytes || keyBytes > k.maxBytes) {
    throw malformed(algorithm, `hash is ${keyBytes} bytes; accepted: ${k.minBytes}..${k.maxBytes}`);
  }
  return { saltBytes, keyBytes };
}

/**
 * Strict PHC "B64": standard alphabet, no padding, and canonical (unused trailing bits zero), the
 * same strictness as Go's `base64.RawStdEncoding.Strict()` that Kratos uses. Undefined when invalid.
 */
export function decodePhcB64(text: string | undefined): Buffer | undefined {
  if (text === undefined || !/^[A-Za-z0-9+/]+$/.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return encodePhcB64(bytes) === text ? bytes : undefined;
}

/** Standard base64 without padding, as PHC strings carry salts and hashes. */
export function encodePhcB64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}
