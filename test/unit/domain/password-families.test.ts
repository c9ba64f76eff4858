/**
 * Every hash family ZITADEL verifies (zitadel/passwap) and the Kratos/Keycloak encodings: each
 * parses under its own name, keeps its encoding byte for byte, and verifies the right password
 * and only it. Vectors are generated here with independent implementations (bcryptjs,
 * node:crypto, @node-rs/argon2) or taken from published examples, each noted where it is used.
 */
import { hash as argon2Hash } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { parsePasswordHash } from '../../../src/domain/password-hash.js';
import { createPasswordHasher } from '../../../src/domain/password-hasher.js';
import { hashVectors, PW } from '../../fixtures/password-hashes.js';

const hasher = createPasswordHasher({ algorithm: 'bcrypt', cost: 4 });
describe.each(hashVectors())('$name', ({ algorithm, encoded, password }) => {
  test('parses under its family, kept byte for byte', () => {
    expect(parsePasswordHash(encoded)).toMatchObject({ algorithm, encoded });
  });

  test('verifies its password and refuses another', async () => {
    await expect(hasher.verify(password, encoded)).resolves.toBe(true);
    await expect(hasher.verify(`${password}!`, encoded)).resolves.toBe(false);
  });
});

test('argon2i and argon2id made by @node-rs/argon2 verify', async () => {
  for (const algorithm of [1, 2] as const) {
    const encoded = await argon2Hash(PW, { algorithm, memoryCost: 1024, timeCost: 2 });
    expect(parsePasswordHash(encoded).algorithm).toBe(algorithm === 1 ? 'argon2i' : 'argon2id');
    await expect(hasher.verify(PW, encoded)).resolves.toBe(true);
    await expect(hasher.verify('nope', encoded)).resolves.toBe(false);
  }
});

test('a bcrypt hash never matches a password longer than the 72 bytes bcrypt reads', async () => {
  const long = 'x'.repeat(72);
  const encoded = bcrypt.hashSync(long, 4);
  await expect(hasher.verify(long, encoded)).resolves.toBe(true);
  await expect(hasher.verify(`${long}tail`, encoded)).resolves.toBe(false);
});

test('hashing many passwords leaves the event loop free (native hashing on the thread pool)', async () => {
  const slow = createPasswordHasher({ algorithm: 'bcrypt', cost: 10 });
  let settled = 0;
  const all = Promise.all(Array.from({ length: 16 }, (_, i) => slow.hash(`password ${i}`).then(() => settled++)));
  // A macrotask queued now runs while the hashes are still being computed elsewhere.
  const seenWhileHashing = await new Promise<number>((resolve) => setImmediate(() => resolve(settled)));
  await all;
  expect({ seenWhileHashing, settled }).toEqual({ seenWhileHashing: 0, settled: 16 });
});
