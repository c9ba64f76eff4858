import { invalidArgument } from './errors.js';

// RFC 5321 §4.5.3.1: a local part holds at most 64 octets and a forward path at most 256 including
// the angle brackets, which leaves 254 for the address. A domain label holds at most 63 (RFC 1035).
const EMAIL_MAX_OCTETS = 254;
const LOCAL_MAX_OCTETS = 64;
const LABEL_MAX_OCTETS = 63;
// Letters and digits of any script (internationalised domains), hyphens inside only.
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?$/u;
// E.164 §6: at most 15 digits. 7 admits the shortest numbers in use (Niue: +683 and 4 digits).
const PHONE_MIN_DIGITS = 7;
const PHONE_MAX_DIGITS = 15;
const PHONE_MAX_CHARS = 32;

// Buffer.byteLength counts UTF-8 octets without encoding; a TextEncoder per call (three to five
// per address) was most of validateEmail's time in a 200,000-user import's CPU profile (issue 10).
const octets = (text: string) => Buffer.byteLength(text, 'utf8');
const SPACE_OR_CONTROL = /[\s\p{Cc}]/u;

const emailProblem = (problem: string) => invalidArgument('USER-email-invalid', `email address ${problem}`);

/**
 * Checks an e-mail address pragmatically rather than by RFC 5322 grammar (which allows quoted
 * strings and comments no mail provider hands out): exactly one `@`, a non-empty local part of at
 * most 64 octets, a domain of dot-separated letter/digit/hyphen labels with at least one dot, no
 * whitespace or control characters, at most 254 octets. Returns the address unchanged.
 * Throws InvalidArgument `USER-email-invalid`.
 */
export function validateEmail(email: string): string {
  if (email.length === 0) throw emailProblem('is empty');
  if (octets(email) > EMAIL_MAX_OCTETS) throw emailProblem(`is longer than ${EMAIL_MAX_OCTETS} bytes`);
  if (SPACE_OR_CONTROL.test(email)) throw emailProblem('must not contain spaces or control characters');
  const at = email.indexOf('@');
  if (at < 0 || email.indexOf('@', at + 1) >= 0) throw emailProblem('must contain exactly one @');
  if (at === 0) throw emailProblem('has an empty local part');
  if (octets(email.slice(0, at)) > LOCAL_MAX_OCTETS) throw emailProblem(`local part is longer than ${LOCAL_MAX_OCTETS} bytes`);
  const labels = email.slice(at + 1).split('.');
  if (labels.length < 2) throw emailProblem('domain must contain a dot');
  for (const label of labels) {
    if (!DOMAIN_LABEL.test(label) || octets(label) > LABEL_MAX_OCTETS) {
      throw emailProblem('domain must be dot-separated labels of letters, digits and inner hyphens');
    }
  }
  return email;
}

/**
 * Checks a phone number in E.164 spirit: an optional leading `+`, then 7–15 digits; spaces, dashes
 * and parentheses are allowed as separators and stripped. Returns `+<digits>` when a `+` was given
 * (the country code must then not start with 0), otherwise the bare digits.
 * Throws InvalidArgument `USER-phone-invalid`.
 */
export function validatePhone(phone: string): string {
  const fail = (problem: string) => invalidArgument('USER-phone-invalid', `phone number ${problem}`);
  if (phone.length > PHONE_MAX_CHARS) throw fail(`is longer than ${PHONE_MAX_CHARS} characters`);
  const compact = phone.replace(/[ ()-]/g, '');
  const international = compact.startsWith('+');
  const digits = international ? compact.slice(1) : compact;
  if (!/^\d*$/.test(digits)) throw fail('may contain only digits, one leading +, spaces, dashes and parentheses');
  if (digits.length < PHONE_MIN_DIGITS || digits.length > PHONE_MAX_DIGITS) {
    throw fail(`must have ${PHONE_MIN_DIGITS} to ${PHONE_MAX_DIGITS} digits`);
  }
  if (international && digits.startsWith('0')) throw fail('country code must not start with 0');
  return international ? `+${digits}` : digits;
}
