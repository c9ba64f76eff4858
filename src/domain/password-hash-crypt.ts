import { invalidArgument } from './errors.js';

/**
 * The older crypt(3)-style and digest families that ZITADEL still verifies through
 * zitadel/passwap (md5, md5plain, md5salted, sha2, phpass, drupal7 packages), so users migrated
 * from systems that wrote them can log in and be re-hashed there. They are weak, but refusing
 * them would lock their users out; the bounds below keep one verification cheap enough.
 */
export type CryptAlgorithm =
  | 'md5-crypt'
  | 'apr1-crypt'
  | 'sha256-crypt'
  | 'sha512-crypt'
  | 'phpass'
  | 'drupal7'
  | 'md5-plain'
  | 'md5-salted-prefix'
  | 'md5-salted-suffix';

export interface ParsedCrypt {
  readonly algorithm: CryptAlgorithm;
  readonly params: Readonly<Record<string, number>>;
}

/** The crypt(3) base64 alphabet (not RFC 4648): md5-crypt, sha-crypt, phpass and drupal7 use it. */
export const CRYPT64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export const CRYPT_LIMITS = {
  /**
   * sha-crypt rounds. The spec (Drepper, "Unix crypt using SHA-256 and SHA-512") allows
   * 1000..999,999,999 and defaults to 5000; 1 M rounds take ~1.5 s here, the cap for one login.
   */
  shaCrypt: { defaultRounds: 5000, minRounds: 1000, maxRounds: 1_000_000 },
  /**
   * phpass and drupal7 iterations as log2 (their cost character). phpass' own range is 7..30
   * (WordPress writes 13, phpBB 11), Drupal 7 writes 15; 2^20 digests take ~1 s here.
   */
  phpass: { minLog2: 7, maxLog2: 20 },
  drupal7: { minLog2: 7, maxLog2: 20 },
} as const;

const malformed = (what: string, problem: string) => invalidArgument('HASH-malformed', `${what} hash ${problem}`);
const tooCostly = (what: string, problem: string) =>
  invalidArgument('HASH-cost', `${what} hash ${problem}; the bound prevents denial of service on verification`);

const C64 = '[./0-9A-Za-z]';
const MD5_CRYPT = new RegExp(`^\\$(1|apr1)\\$([^$]{1,8})\\$(${C64}{22})$`);
const SHA_CRYPT = new RegExp(`^\\$([56])\\$(?:rounds=(\\d{1,9})\\$)?([^$\\n]{0,16})\\$(${C64}+)$`);
const PHPASS = new RegExp(`^\\$[PH]\\$(${C64})${C64}{8}${C64}{22}$`);
const DRUPAL7 = new RegExp(`^\\$S\\$(${C64})${C64}{8}${C64}{43}$`);
const MD5_SALTED = /^\$md5salted-(prefix|suffix)\$([^$]+)\$([A-Za-z0-9+/]{22}==)$/;
const MD5_PLAIN = /^[0-9a-f]{32}$/i;

/** Parses the crypt-style families above; undefined when `value` is none of them. */
export function parseCryptHash(value: string): ParsedCrypt | undefined {
  if (value.startsWith('$1$') || value.startsWith('$apr1$')) {
    if (!MD5_CRYPT.test(value)) throw malformed('md5-crypt', 'must be $1$<salt, up to 8 chars>$<22 crypt-base64 chars>');
    return { algorithm: value.startsWith('$1$') ? 'md5-crypt' : 'apr1-crypt', params: {} };
  }
  if (value.startsWith('$5$') || value.startsWith('$6$')) return parseShaCrypt(value);
  if (value.startsWith('$P$') || value.startsWith('$H$')) {
    const match = PHPASS.exec(value);
    if (!match?.[1]) throw malformed('phpass', 'must be $P$ (or $H$), a cost character, 8 salt and 22 hash characters');
    return { algorithm: 'phpass', params: { log2: log2Bounded('phpass', match[1], CRYPT_LIMITS.phpass) } };
  }
  if (value.startsWith('$S$')) {
    const match = DRUPAL7.exec(value);
    if (!match?.[1]) throw malformed('drupal7', 'must be $S$, a cost character, 8 salt and 43 hash characters (55 in all)');
    return { algorithm: 'drupal7', params: { log2: log2Bounded('drupal7', match[1], CRYPT_LIMITS.drupal7) } };
  }
  if (value.startsWith('$md5salted-')) {
    const match = MD5_SALTED.exec(value);
    if (!match) throw malformed('md5salted', 'must be $md5salted-prefix$ or -suffix$, then <salt>$<base64 md5 digest>');
    return { algorithm: match[1] === 'prefix' ? 'md5-salted-prefix' : 'md5-salted-suffix', params: {} };
  }
  if (MD5_PLAIN.test(value)) return { algorithm: 'md5-plain', params: {} };
  return undefined;
}

function parseShaCrypt(value: string): ParsedCrypt {
  const algorithm = value.startsWith('$5$') ? 'sha256-crypt' : 'sha512-crypt';
  const match = SHA_CRYPT.exec(value);
  const hashChars = algorithm === 'sha256-crypt' ? 43 : 86;
  if (!match || (match[4] ?? '').length !== hashChars) {
    throw malformed(algorithm, `must be $${value[1]}$[rounds=<n>$]<salt, up to 16 chars>$<${hashChars} crypt-base64 chars>`);
  }
  const { defaultRounds, minRounds, maxRounds } = CRYPT_LIMITS.shaCrypt;
  const rounds = match[2] === undefined ? defaultRounds : Number(match[2]);
  // The spec clamps rounds below 1000 up to 1000; such a hash still verifies that way.
  if (rounds > maxRounds) throw tooCostly(algorithm, `rounds=${rounds} exceed the accepted maximum of ${maxRounds}`);
  return { algorithm, params: { rounds: Math.max(rounds, minRounds), explicitRounds: match[2] === undefined ? 0 : 1 } };
}

function log2Bounded(what: string, char: string, limits: { minLog2: number; maxLog2: number }): number {
  const log2 = CRYPT64.indexOf(char);
  if (log2 < limits.minLog2 || log2 > 30) throw malformed(what, `cost 2^${log2} is outside the format's range 2^${limits.minLog2}..2^30`);
  if (log2 > limits.maxLog2) throw tooCostly(what, `cost 2^${log2} exceeds the accepted maximum of 2^${limits.maxLog2}`);
  return log2;
}
