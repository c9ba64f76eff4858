import { Buffer } from 'node:buffer';
import { invalidArgument } from './errors.js';

/**
 * The key-derivation families (argon2, scrypt, pbkdf2) in every encoding ZITADEL's passwap or
 * Kratos reads, with their bounds. Each parser returns the cost parameters and where the salt
 * and derived key are, so the verifier never re-parses the string.
 */
export type KdfAlgorithm = 'argon2id' | 'argon2i' | 'scrypt' | Pbkdf2Algorithm;
export type Pbkdf2Algorithm = 'pbkdf2-sha1' | 'pbkdf2-sha224' | 'pbkdf2-sha256' | 'pbkdf2-sha384' | 'pbkdf2-sha512';

export interface ParsedKdf {
  readonly algorithm: KdfAlgorithm;
  readonly params: Readonly<Record<string, number>>;
}

/** Salt and derived key of a KDF hash, and for scrypt its N (the encodings disagree on ln). */
export interface KdfInputs {
  salt: Buffer;
  key: Buffer;
}

export const KDF_LIMITS = {
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
    /** SHA-1 is about twice as fast per round as SHA-256; passwap's own ceiling is 10 M. */
    'pbkdf2-sha1': { maxIterations: 10_000_000 },
    'pbkdf2-sha224': { maxIterations: 5_000_000 },
    /** OWASP 2023 asks 600,000 for HMAC-SHA256 and Django 6.0 uses 1.2 M; 5 M takes ~0.6 s here. */
    'pbkdf2-sha256': { maxIterations: 5_000_000 },
    'pbkdf2-sha384': { maxIterations: 2_000_000 },
    /** OWASP 2023 asks 210,000 for HMAC-SHA512; SHA-512 is ~3× slower per round, 2 M takes ~0.8 s. */
    'pbkdf2-sha512': { maxIterations: 2_000_000 },
  },
  /** Salt bytes for PHC formats: 8 is the Argon2 spec minimum (RFC 9106 §3.1), 64 is generous. */
  salt: { minBytes: 8, maxBytes: 64 },
  /** Salt bytes in the older encodings (passwap pbkdf2, Kratos scrypt), which set no minimum. */
  legacySalt: { minBytes: 1, maxBytes: 64 },
  /** Derived-key bytes: below 16 (128 bits) a hash is truncated; above 64 no format produces it. */
  key: { minBytes: 16, maxBytes: 64 },
} as const;

const malformed = (what: string, problem: string) => invalidArgument('HASH-malformed', `${what} hash ${problem}`);
const tooCostly = (what: string, problem: string) =>
  invalidArgument('HASH-cost', `${what} hash ${problem}; the bound prevents denial of service on verification`);

export function parseArgon2(algorithm: 'argon2id' | 'argon2i', value: string): ParsedKdf {
  const parts = value.split('$');
  // ['', id, 'v=19', 'm=..,t=..,p=..', salt, hash]. Hashes without v= are Argon2 1.0 (0x10).
  if (parts.length === 5 && /^m=/.test(parts[2] ?? '')) {
    throw invalidArgument('HASH-unsupported', `${algorithm} version 1.0 hashes (no v=19) are not supported`);
  }
  if (parts.length !== 6) throw malformed(algorithm, 'must be $<id>$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>');
  const { v } = phcParams(algorithm, parts[2], ['v'], []);
  if (v !== 19) throw invalidArgument('HASH-unsupported', `${algorithm} version ${v} is not supported; only v=19 is`);
  const { m, t, p } = phcParams(algorithm, parts[3], ['m', 't', 'p'], []);
  if (m === undefined || t === undefined || p === undefined) throw malformed(algorithm, 'is missing m, t or p');
  const limits = KDF_LIMITS.argon2;
  // Minimums from RFC 9106 §3.1: p ≥ 1, t ≥ 1, m ≥ 8·p KiB.
  if (p < 1 || t < 1 || m < 8 * p) throw malformed(algorithm, 'parameters are below the Argon2 minimums (p ≥ 1, t ≥ 1, m ≥ 8·p)');
  if (m > limits.maxMemoryKiB) throw tooCostly(algorithm, `memory m=${m} KiB exceeds the accepted maximum of ${limits.maxMemoryKiB}`);
  if (t > limits.maxTime) throw tooCostly(algorithm, `passes t=${t} exceed the accepted maximum of ${limits.maxTime}`);
  if (m * t > limits.maxMemoryTimeKiB) {
    throw tooCostly(algorithm, `work m×t=${m * t} KiB exceeds the accepted maximum of ${limits.maxMemoryTimeKiB}`);
  }
  if (p > limits.maxParallelism) throw tooCostly(algorithm, `lanes p=${p} exceed the accepted maximum of ${limits.maxParallelism}`);
  checkSizes(algorithm, decodePhcB64(parts[4]), decodePhcB64(parts[5]), KDF_LIMITS.salt);
  return { algorithm, params: { v, m, t, p } };
}

/**
 * scrypt in three encodings, all `$<id>$ln=…,r=…,p=…$<salt>$<hash>`:
 * - PHC / passlib / passwap (`$scrypt$`, passwap also `$7$`): ln is log2 N, base64 without padding;
 * - Kratos (hash/hash_comparator.go): `ln` holds N itself and salt and hash are standard base64
 *   with padding. A padded part or an ln above 63 (no log2 N can be) marks this form; its params
 *   are reported as `n` instead of `ln`.
 */
export function parseScrypt(value: string): ParsedKdf {
  const parts = value.split('$');
  if (parts.length !== 5) throw malformed('scrypt', 'must be $scrypt$ln=<log2 N>,r=<block size>,p=<parallelism>$<salt>$<hash>');
  const { ln, r, p } = phcParams('scrypt', parts[2], ['ln', 'r', 'p'], []);
  if (ln === undefined || r === undefined || p === undefined) throw malformed('scrypt', 'is missing ln, r or p');
  const kratos = parts[1] === 'scrypt' && (ln > 63 || /=$/.test(parts[3] ?? '') || /=$/.test(parts[4] ?? ''));
  if (kratos && (ln < 2 || (ln & (ln - 1)) !== 0)) throw malformed('scrypt', 'in Kratos form needs ln = N, a power of two');
  // scrypt needs N > 1, r ≥ 1 and p ≥ 1 (RFC 7914 §2).
  if (ln < 1 || r < 1 || p < 1) throw malformed('scrypt', 'parameters are below the scrypt minimums (ln ≥ 1, r ≥ 1, p ≥ 1)');
  const n = kratos ? ln : 2 ** ln;
  if (n * r * p > KDF_LIMITS.scrypt.maxNrp) {
    throw tooCostly('scrypt', `work N·r·p exceeds the accepted maximum of 2^${Math.log2(KDF_LIMITS.scrypt.maxNrp)}`);
  }
  if (kratos) {
    checkSizes('scrypt', decodeStdB64(parts[3]), decodeStdB64(parts[4]), KDF_LIMITS.legacySalt);
    return { algorithm: 'scrypt', params: { n, r, p } };
  }
  checkSizes('scrypt', decodePhcB64(parts[3]), decodePhcB64(parts[4]), KDF_LIMITS.salt);
  return { algorithm: 'scrypt', params: { ln, r, p } };
}

const PBKDF2_IDS: Record<string, Pbkdf2Algorithm> = {
  pbkdf2: 'pbkdf2-sha1',
  'pbkdf2-sha1': 'pbkdf2-sha1',
  'pbkdf2-sha224': 'pbkdf2-sha224',
  'pbkdf2-sha256': 'pbkdf2-sha256',
  'pbkdf2-sha384': 'pbkdf2-sha384',
  'pbkdf2-sha512': 'pbkdf2-sha512',
};

export const isPbkdf2Id = (id: string) => id in PBKDF2_IDS;

/**
 * PBKDF2 in both forms in use:
 * - PHC (Kratos, RustCrypto): `$pbkdf2-sha256$i=<iterations>[,l=<key bytes>]$<salt>$<hash>`, strict
 *   standard base64 without padding; params `{ i, l? }`.
 * - passlib / passwap (what ZITADEL writes, and zitadel-tools' Keycloak converter emits from
 *   Keycloak's credentials): `$pbkdf2-sha256$<rounds>$<salt>$<hash>` (`$pbkdf2$` is SHA-1), salt and
 *   hash in passlib's base64 ("." for "+") or standard base64, padding optional; params `{ rounds }`.
 */
export function parsePbkdf2(id: string, value: string): ParsedKdf {
  const algorithm = PBKDF2_IDS[id] as Pbkdf2Algorithm;
  const parts = value.split('$');
  if (parts.length !== 5) throw malformed(algorithm, `must be $${id}$<rounds or i=…>$<salt>$<hash>`);
  const { maxIterations } = KDF_LIMITS.pbkdf2[algorithm];
  const bounded = (n: number) => {
    if (n < 1) throw malformed(algorithm, 'iterations must be at least 1');
    if (n > maxIterations) throw tooCostly(algorithm, `iterations ${n} exceed the accepted maximum of ${maxIterations}`);
    return n;
  };
  if (/^(0|[1-9]\d{0,9})$/.test(parts[2] ?? '')) {
    const rounds = bounded(Number(parts[2]));
    checkSizes(algorithm, decodePasslibB64(parts[3]), decodePasslibB64(parts[4]), KDF_LIMITS.legacySalt);
    return { algorithm, params: { rounds } };
  }
  if (!(parts[2] ?? '').startsWith('i=')) throw malformed(algorithm, `must be $${id}$<rounds>$… or $${id}$i=<iterations>[,l=<bytes>]$…`);
  const { i, l } = phcParams(algorithm, parts[2], ['i'], ['l']);
  bounded(i ?? 0);
  const { keyBytes } = checkSizes(algorithm, decodePhcB64(parts[3]), decodePhcB64(parts[4]), KDF_LIMITS.salt);
  if (l !== undefined && l !== keyBytes) throw malformed(algorithm, `declares l=${l} but its hash is ${keyBytes} bytes`);
  return { algorithm, params: l === undefined ? { i: i ?? 0 } : { i: i ?? 0, l } };
}

/** Salt and key of a hash these parsers accepted (the same decoder its form was checked with). */
export function kdfInputs(parsed: ParsedKdf, encoded: string): KdfInputs {
  const parts = encoded.split('$');
  const [salt, key] = [parts[parts.length - 2], parts[parts.length - 1]];
  const decode = 'rounds' in parsed.params ? decodePasslibB64 : 'n' in parsed.params ? decodeStdB64 : decodePhcB64;
  const s = decode(salt);
  const k = decode(key);
  if (!s || !k) throw malformed(parsed.algorithm, 'salt or hash cannot be decoded');
  return { salt: s, key: k };
}

/**
 * Reads `name=value,…` in the fixed order the format defines (the PHC string format requires a
 * fixed order per function). Values are decimal without leading zeros, as the PHC format demands.
 */
function phcParams(what: string, segment: string | undefined, required: readonly string[], optional: readonly string[]) {
  const allowed = [...required, ...optional];
  const pairs = (segment ?? '').split(',').map((pair) => /^([a-z]+)=(0|[1-9]\d{0,9})$/.exec(pair));
  const shapeOk =
    pairs.length >= required.length &&
    pairs.length <= allowed.length &&
    pairs.every((match, index) => match?.[1] !== undefined && match[1] === allowed[index]);
  if (!shapeOk) throw malformed(what, `parameters must be ${allowed.join(',')} with decimal values`);
  const result: Record<string, number | undefined> = {};
  for (const match of pairs) if (match?.[1] !== undefined) result[match[1]] = Number(match[2]);
  return result;
}

function checkSizes(what: string, salt: Buffer | undefined, key: Buffer | undefined, saltLimits: { minBytes: number; maxBytes: number }) {
  if (salt === undefined || key === undefined) throw malformed(what, 'salt and hash must be base64 in the encoding of its form');
  const k = KDF_LIMITS.key;
  if (salt.length < saltLimits.minBytes || salt.length > saltLimits.maxBytes) {
    throw malformed(what, `salt is ${salt.length} bytes; accepted: ${saltLimits.minBytes}..${saltLimits.maxBytes}`);
  }
  if (key.length < k.minBytes || key.length > k.maxBytes)
    throw malformed(what, `hash is ${key.length} bytes; accepted: ${k.minBytes}..${k.maxBytes}`);
  return { saltBytes: salt.length, keyBytes: key.length };
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

/** Strict standard base64 with padding (Go's `base64.StdEncoding.Strict()`). */
function decodeStdB64(text: string | undefined): Buffer | undefined {
  if (text === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** passlib's adapted base64 ("./" for "+/"), or standard base64 when a "+" shows it; padding optional (passwap's rule). */
function decodePasslibB64(text: string | undefined): Buffer | undefined {
  if (text === undefined || !/^[A-Za-z0-9+/.]+={0,2}$/.test(text)) return undefined;
  if (text.includes('+') && text.includes('.')) return undefined;
  const bare = text.replace(/=+$/, '').replace(/\./g, '+');
  if (bare.length % 4 === 1) return undefined;
  return Buffer.from(bare, 'base64');
}
