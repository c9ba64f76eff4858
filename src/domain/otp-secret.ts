import { invalidArgument } from './errors.js';

/**
 * Bounds on an imported TOTP/HOTP shared secret, in decoded bytes.
 * - Minimum 10 bytes (80 bits): RFC 4226 §4 R6 makes 128 bits the minimum and recommends 160, but
 *   16-character (80-bit) secrets are still common in the wild (older Google Authenticator
 *   enrolments). Refusing them would drop users' second factor on import, so 80 bits is the floor.
 * - Maximum 64 bytes (512 bits): RFC 6238's longest test seed (64 bytes, for HMAC-SHA512). A key
 *   longer than the widest HMAC output (512 bits) adds no strength; the bound keeps the input small.
 */
export const OTP_SECRET_LIMITS = { minBytes: 10, maxBytes: 64 } as const;

// RFC 4648 §6: n data characters carry ⌊5n/8⌋ bytes; lengths whose remainder mod 8 is 1, 3 or 6
// cannot end a byte boundary, and padding fills the last group to 8 characters.
const VALID_REMAINDERS = new Set([0, 2, 4, 5, 7]);
const MAX_INPUT_CHARS = 128;

/**
 * Validates an imported OTP secret: RFC 4648 base32 (A–Z, 2–7, case-insensitive, optional correct
 * `=` padding, no spaces) decoding to {@link OTP_SECRET_LIMITS} bytes. Returns the secret upper-cased
 * without padding. Throws InvalidArgument `OTP-invalid`; the message never contains the secret.
 */
export function validateOtpSecret(secret: string): string {
  if (secret.length === 0 || secret.length > MAX_INPUT_CHARS) {
    throw invalidArgument('OTP-invalid', `OTP secret must be 1..${MAX_INPUT_CHARS} base32 characters`);
  }
  const upper = secret.toUpperCase();
  const data = upper.replace(/=+$/, '');
  const padding = upper.length - data.length;
  if (!/^[A-Z2-7]+$/.test(data)) {
    const expected = 'RFC 4648 base32 (A-Z, 2-7, optional = padding, no spaces)';
    throw invalidArgument('OTP-invalid', `OTP secret must be ${expected}`);
  }
  if (!VALID_REMAINDERS.has(data.length % 8) || (padding > 0 && padding !== (8 - (data.length % 8)) % 8)) {
    throw invalidArgument('OTP-invalid', 'OTP secret has an impossible base32 length or wrong padding');
  }
  const bytes = Math.floor((data.length * 5) / 8);
  const { minBytes, maxBytes } = OTP_SECRET_LIMITS;
  if (bytes < minBytes || bytes > maxBytes) {
    throw invalidArgument('OTP-invalid', `OTP secret decodes to ${bytes * 8} bits; accepted: ${minBytes * 8}..${maxBytes * 8} bits`);
  }
  return data;
}
