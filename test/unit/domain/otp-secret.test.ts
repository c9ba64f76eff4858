import { validateOtpSecret } from '../../../src/domain/otp-secret.js';

/** RFC 4648 base32 with padding, to build secrets of exact byte lengths. */
function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out.padEnd(Math.ceil(out.length / 8) * 8, '=');
}

function rejectionOf(secret: string): Error {
  try {
    validateOtpSecret(secret);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected validateOtpSecret to reject the secret');
}

describe('validateOtpSecret', () => {
  test('accepts an 80-bit secret and returns it unchanged', () => {
    expect(validateOtpSecret('JBSWY3DPEHPK3PXP')).toBe('JBSWY3DPEHPK3PXP');
  });

  test('normalises case and strips correct padding', () => {
    expect(validateOtpSecret('jbswy3dpehpk3pxp')).toBe('JBSWY3DPEHPK3PXP');
    const secret128 = base32(Buffer.alloc(16, 0x42)); // 26 chars + 6 '='
    expect(secret128).toMatch(/^[A-Z2-7]{26}={6}$/);
    expect(validateOtpSecret(secret128)).toBe(secret128.replace(/=+$/, ''));
    expect(validateOtpSecret(secret128.replace(/=+$/, ''))).toBe(secret128.replace(/=+$/, ''));
  });

  test('accepts a 160-bit (ZITADEL-sized) and a 512-bit secret', () => {
    expect(validateOtpSecret(base32(Buffer.alloc(20, 7)))).toHaveLength(32);
    expect(validateOtpSecret(base32(Buffer.alloc(64, 7)))).toHaveLength(103);
  });

  test.each([
    ['empty', ''],
    ['too short (72 bits)', base32(Buffer.alloc(9, 1))],
    ['too short, unpadded', 'JBSWY3DPEHPK3PX'],
    ['too long (520 bits)', base32(Buffer.alloc(65, 1))],
    ['spaces', 'JBSW Y3DP EHPK 3PXP'],
    ['digits outside 2-7', 'JBSWY3DPEHPK3PX0'],
    ['base32hex / other alphabets', 'JBSWY3DPEHPK3PX1'],
    ['padding in the middle', 'JBSWY3DP=EHPK3PXP'],
    ['padding where none belongs', 'JBSWY3DPEHPK3PXP='],
    ['too little padding', `${base32(Buffer.alloc(16, 0x42)).replace(/=+$/, '')}===`],
    ['impossible length (remainder 1)', 'JBSWY3DPEHPK3PXPA'],
    ['non-ASCII', 'JBSWY3DPEHPK3PXPÄ'],
  ])('rejects %s with OTP-invalid and does not echo the secret', (_name, secret) => {
    const error = rejectionOf(secret);
    expect(error).toMatchObject({ kind: 'InvalidArgument', id: 'OTP-invalid' });
    if (secret.length > 0) expect(error.message).not.toContain(secret);
  });
});
