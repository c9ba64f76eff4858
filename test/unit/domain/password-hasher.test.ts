import { pbkdf2Sync, scryptSync } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { encodePhcB64, parsePasswordHash } from '../../../src/domain/password-hash.js';
import { createPasswordHasher } from '../../../src/domain/password-hasher.js';

const salt = Buffer.from('0123456789abcdef');

describe('createPasswordHasher with bcrypt', () => {
  const hasher = createPasswordHasher({ algorithm: 'bcrypt', cost: 4 });

  test('round trips, and the output parses and is readable by bcryptjs itself', async () => {
    const encoded = await hasher.hash('correct horse battery staple');
    expect(parsePasswordHash(encoded)).toMatchObject({ algorithm: 'bcrypt', params: { cost: 4 } });
    await expect(hasher.verify('correct horse battery staple', encoded)).resolves.toBe(true);
    await expect(bcrypt.compare('correct horse battery staple', encoded)).resolves.toBe(true);
  });

  test('a wrong password is false', async () => {
    const encoded = await hasher.hash('correct horse battery staple');
    await expect(hasher.verify('correct horse battery stapler', encoded)).resolves.toBe(false);
    await expect(hasher.verify('', encoded)).resolves.toBe(false);
  });

  test('verifies imported $2a$/$2b$/$2y$ hashes made elsewhere', async () => {
    const imported = bcrypt.hashSync('päßwörd ✓', 5);
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      const encoded = prefix + imported.slice(4);
      await expect(hasher.verify('päßwörd ✓', encoded)).resolves.toBe(true);
      await expect(hasher.verify('passwort', encoded)).resolves.toBe(false);
    }
  });

  test('refuses to hash more than 72 bytes instead of truncating silently', async () => {
    await expect(hasher.hash('x'.repeat(73))).rejects.toMatchObject({
      kind: 'InvalidArgument',
      id: 'HASH-password-too-long',
    });
    await expect(hasher.hash('x'.repeat(72))).resolves.toMatch(/^\$2b\$04\$/);
  });
});

describe('createPasswordHasher with scrypt', () => {
  const hasher = createPasswordHasher({ algorithm: 'scrypt', cost: 10 });

  test('writes PHC $scrypt$ln=<cost>,r=8,p=1 that parses, with a fresh salt each time', async () => {
    const first = await hasher.hash('s3cret');
    const second = await hasher.hash('s3cret');
    expect(first).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(parsePasswordHash(first)).toEqual({ algorithm: 'scrypt', params: { ln: 10, r: 8, p: 1 }, encoded: first });
    expect(second).not.toBe(first);
  });

  test('round trips; a wrong password is false', async () => {
    const encoded = await hasher.hash('s3cret');
    await expect(hasher.verify('s3cret', encoded)).resolves.toBe(true);
    await expect(hasher.verify('s3cret ', encoded)).resolves.toBe(false);
  });

  test('verifies an imported OWASP-strength hash (128 MiB, above Node’s default maxmem)', async () => {
    const key = scryptSync('imported', salt, 32, { N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 });
    const encoded = `$scrypt$ln=17,r=8,p=1$${encodePhcB64(salt)}$${encodePhcB64(key)}`;
    await expect(hasher.verify('imported', encoded)).resolves.toBe(true);
    await expect(hasher.verify('imported!', encoded)).resolves.toBe(false);
  });
});

describe('verify with pbkdf2', () => {
  const hasher = createPasswordHasher({ algorithm: 'bcrypt', cost: 4 });

  test.each(['sha256', 'sha512'] as const)('pbkdf2-%s built with node:crypto', async (digest) => {
    const key = pbkdf2Sync('imported', salt, 2000, digest === 'sha256' ? 32 : 64, digest);
    const encoded = `$pbkdf2-${digest}$i=2000,l=${key.length}$${encodePhcB64(salt)}$${encodePhcB64(key)}`;
    await expect(hasher.verify('imported', encoded)).resolves.toBe(true);
    await expect(hasher.verify('Imported', encoded)).resolves.toBe(false);
    const withoutLength = encoded.replace(`,l=${key.length}`, '');
    await expect(hasher.verify('imported', withoutLength)).resolves.toBe(true);
  });
});

describe('verify', () => {
  const hasher = createPasswordHasher({ algorithm: 'scrypt', cost: 4 });

  // Changed by issue 8: argon2 was stored but not verifiable; @node-rs/argon2 verifies it now.
  test('verifies the argon2-cffi README sample (argon2id), and refuses a wrong password', async () => {
    const encoded = '$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg';
    await expect(hasher.verify('correct horse battery staple', encoded)).resolves.toBe(true);
    await expect(hasher.verify('correct horse battery stapler', encoded)).resolves.toBe(false);
  });

  test('an unparseable hash is an InvalidArgument, not false', async () => {
    await expect(hasher.verify('pw', '$foo$saltsalt$qjXMvbEw8oaL.CzflDugX/')).rejects.toMatchObject({
      kind: 'InvalidArgument',
      id: 'HASH-unsupported',
    });
  });
});

describe('createPasswordHasher configuration', () => {
  test.each([
    { algorithm: 'bcrypt', cost: 3 },
    { algorithm: 'bcrypt', cost: 17 },
    { algorithm: 'bcrypt', cost: 10.5 },
    { algorithm: 'scrypt', cost: 0 },
    { algorithm: 'scrypt', cost: 19 },
  ] as const)('rejects $algorithm cost $cost, which would produce unimportable hashes', (config) => {
    const expected = expect.objectContaining({ kind: 'InvalidArgument', id: 'HASH-config' });
    expect(() => createPasswordHasher(config)).toThrow(expected);
  });

  test('accepts the largest scrypt cost inside the bounds', () => {
    expect(() => createPasswordHasher({ algorithm: 'scrypt', cost: 18 })).not.toThrow();
  });
});
