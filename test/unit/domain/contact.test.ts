import { validateEmail, validatePhone } from '../../../src/domain/contact.js';

describe('validateEmail', () => {
  test.each([
    'alice@example.com',
    'a.b+tag@sub.example.co.uk',
    "o'hara_99@x-y.io",
    'ünïcode@bücher.example',
    `${'l'.repeat(64)}@example.com`,
    `a@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.${'g'.repeat(60)}`, // 254 octets
  ])('accepts %s unchanged', (email) => {
    expect(validateEmail(email)).toBe(email);
  });

  test.each([
    ['empty', ''],
    ['no @', 'alice.example.com'],
    ['two @', 'alice@bob@example.com'],
    ['empty local part', '@example.com'],
    ['no dot in the domain', 'alice@localhost'],
    ['empty domain label', 'alice@example..com'],
    ['leading dot in the domain', 'alice@.example.com'],
    ['trailing dot in the domain', 'alice@example.com.'],
    ['hyphen at a label edge', 'alice@-example.com'],
    ['a space', 'al ice@example.com'],
    ['trailing space', 'alice@example.com '],
    ['a tab', 'alice@exa\tmple.com'],
    ['local part over 64', `${'l'.repeat(65)}@example.com`],
    ['domain label over 63', `alice@${'d'.repeat(64)}.com`],
    ['over 254 octets', `a@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.${'g'.repeat(61)}`],
  ])('rejects %s with USER-email-invalid', (_name, email) => {
    const expected = expect.objectContaining({ kind: 'InvalidArgument', id: 'USER-email-invalid' });
    expect(() => validateEmail(email)).toThrow(expected);
  });
});

describe('validatePhone', () => {
  test.each([
    ['+41 79 123 45 67', '+41791234567'],
    ['+1 (555) 123-4567', '+15551234567'],
    ['(044) 668-18-00', '0446681800'],
    ['1234567', '1234567'],
    ['+683 4002', '+6834002'],
    ['+123456789012345', '+123456789012345'],
  ])('accepts %s as %s', (phone, normalised) => {
    expect(validatePhone(phone)).toBe(normalised);
  });

  test.each([
    ['empty', ''],
    ['six digits', '123456'],
    ['sixteen digits', '+1234567890123456'],
    ['country code starting with 0', '+041 79 123 45 67'],
    ['dots', '079.123.45.67'],
    ['letters', '+41 79 CALL NOW'],
    ['two pluses', '++41791234567'],
    ['a plus inside', '41+791234567'],
    ['a tab', '+41\t791234567'],
    ['extension', '+41 79 123 45 67 x12'],
    ['absurdly long', `+41 ${'-'.repeat(40)} 791234567`],
  ])('rejects %s with USER-phone-invalid', (_name, phone) => {
    const expected = expect.objectContaining({ kind: 'InvalidArgument', id: 'USER-phone-invalid' });
    expect(() => validatePhone(phone)).toThrow(expected);
  });
});
