import { createAesGcmCipher } from '../../src/persistence/secrets/aes-gcm-cipher.js';
import { createSecretsAtRest, type SecretsAtRest } from '../../src/persistence/secrets/at-rest.js';
import { secretFieldPaths } from '../../src/transport/codec/secret-paths.js';

/**
 * The key every test app seals with unless a test sets its own `secrets`: one fixed key, so a
 * test that restarts an app on the same database opens what the first start sealed.
 */
export const TEST_SECRETS_KEY = Buffer.alloc(32, 7);

/** The stores' seal/open boundary with the test key (for suites that build stores directly). */
export function testSecretsAtRest(key: Buffer = TEST_SECRETS_KEY): SecretsAtRest {
  return createSecretsAtRest(createAesGcmCipher(key), secretFieldPaths());
}
