import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SECRET_KEY_BYTES } from './persistence/secrets/aes-gcm-cipher.js';
import { createSecretFileOnce, tightenSecretFile } from './secure-files.js';
import { StartupError } from './startup-error.js';

/** Where the key that seals secrets at rest comes from (IDPORT_SECRETS_KEY, _OLD_KEYS, _KEY_FILE). */
export interface SecretsKeyConfig {
  /** IDPORT_SECRETS_KEY: the current key; without it, the key file holds it. */
  key: Buffer | undefined;
  /** IDPORT_SECRETS_OLD_KEYS: keys that only open (what was sealed before a rotation). */
  oldKeys: Buffer[];
  /** IDPORT_SECRETS_KEY_FILE: made on the first start (mode 0600) when no key is configured. */
  keyFile: string;
}

const HEX = /^[0-9a-fA-F]{64}$/;
// Standard or URL-safe alphabet, padding optional: 32 bytes are 43 characters and one `=`.
const BASE64 = /^[A-Za-z0-9+/_-]{43}=?$/;

/**
 * A 32-byte key written as 64 hex digits or base64 (either alphabet). The message names the
 * setting and the expected form, never the value.
 */
export function parseSecretKey(raw: string, name: string): Buffer {
  const text = raw.trim();
  const key = HEX.test(text) ? Buffer.from(text, 'hex') : BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (key?.length !== SECRET_KEY_BYTES) {
    throw new Error(`${name} must be a ${SECRET_KEY_BYTES}-byte key as 64 hex digits or base64 (e.g. openssl rand -base64 32)`);
  }
  return key;
}

/** IDPORT_SECRETS_OLD_KEYS: a comma-separated list of keys. */
export function parseOldKeys(raw: string | undefined): Buffer[] {
  return (raw ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '')
    .map((k, i) => parseSecretKey(k, `IDPORT_SECRETS_OLD_KEYS entry ${i + 1}`));
}

export interface LoadedKeys {
  current: Buffer;
  old: Buffer[];
  /** Where the current key came from, for the start's log line. */
  source: 'IDPORT_SECRETS_KEY' | 'key file created' | 'key file';
  /** The key file's mode was looser than 0600 and was tightened. */
  tightened: boolean;
}

/**
 * The configured key, or the key file's: read if it exists (its mode tightened to 0600 first),
 * created with a fresh random key otherwise. A key file that does not hold a key refuses the
 * start: a new key would leave every sealed secret unreadable.
 */
export async function loadSecretKeys(config: SecretsKeyConfig): Promise<LoadedKeys> {
  if (config.key) return { current: config.key, old: config.oldKeys, source: 'IDPORT_SECRETS_KEY', tightened: false };
  const file = config.keyFile;
  try {
    if (await createSecretFileOnce(file, `${randomBytes(SECRET_KEY_BYTES).toString('base64')}\n`)) {
      return { current: await readKey(file), old: config.oldKeys, source: 'key file created', tightened: false };
    }
    const tightened = await tightenSecretFile(file);
    return { current: await readKey(file), old: config.oldKeys, source: 'key file', tightened };
  } catch (e) {
    if (e instanceof StartupError) throw e;
    throw new StartupError(`cannot use the secrets key file ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

async function readKey(file: string): Promise<Buffer> {
  const text = await readFile(file, 'utf8');
  try {
    return parseSecretKey(text, `the secrets key file ${file}`);
  } catch (e) {
    throw new StartupError((e as Error).message);
  }
}
