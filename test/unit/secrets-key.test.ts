import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { loadSecretKeys, parseSecretKey } from '../../src/secrets-key.js';
import { StartupError } from '../../src/startup-error.js';

const key = randomBytes(32);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'idport-key-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('IDPORT_SECRETS_KEY and IDPORT_SECRETS_OLD_KEYS', () => {
  test.each([
    ['hex', key.toString('hex')],
    ['base64', key.toString('base64')],
    ['base64url', key.toString('base64url')],
    ['base64 with spaces around', ` ${key.toString('base64')}\n`],
  ])('%s is read as the 32-byte key', (_form, raw) => {
    expect(parseSecretKey(raw, 'X')).toEqual(key);
    expect(loadConfig({ IDPORT_SECRETS_KEY: raw }).secrets.key).toEqual(key);
  });

  test.each([
    ['too short', randomBytes(16).toString('base64')],
    ['too long', randomBytes(33).toString('hex')],
    ['not a key', 'correct horse battery staple'],
    ['hex with a stray digit', `${key.toString('hex')}0`],
  ])('%s is refused with the setting named and the value not echoed', (_name, raw) => {
    expect(() => loadConfig({ IDPORT_SECRETS_KEY: raw })).toThrow(/^IDPORT_SECRETS_KEY must be a 32-byte key as 64 hex digits or base64/);
    try {
      loadConfig({ IDPORT_SECRETS_KEY: raw });
    } catch (e) {
      expect((e as Error).message).not.toContain(raw);
    }
  });

  test('old keys are a comma list; a bad entry is named by its position', () => {
    const old = [randomBytes(32), randomBytes(32)];
    expect(loadConfig({ IDPORT_SECRETS_OLD_KEYS: ` ${old[0]?.toString('hex')}, ${old[1]?.toString('base64')} ,` }).secrets.oldKeys).toEqual(
      old,
    );
    expect(() => loadConfig({ IDPORT_SECRETS_OLD_KEYS: `${key.toString('hex')},nope` })).toThrow(
      /^IDPORT_SECRETS_OLD_KEYS entry 2 must be/,
    );
  });

  test('the key file defaults to <IDPORT_HOME>/secrets.key; IDPORT_SECRETS_KEY_FILE moves it', () => {
    expect(loadConfig({ IDPORT_HOME: dir }).secrets).toEqual({ key: undefined, oldKeys: [], keyFile: join(dir, 'secrets.key') });
    expect(loadConfig({ IDPORT_SECRETS_KEY_FILE: join(dir, 'k') }).secrets.keyFile).toBe(join(dir, 'k'));
  });
});

describe('the key file', () => {
  test('is made on the first start with mode 0600 (in a 0700 directory it creates), then reused', async () => {
    const keyFile = join(dir, 'home', 'secrets.key');
    const first = await loadSecretKeys({ key: undefined, oldKeys: [], keyFile });
    expect(first.source).toBe('key file created');
    expect(first.current).toHaveLength(32);
    expect(await mode(keyFile)).toBe(0o600);
    expect(await mode(join(dir, 'home'))).toBe(0o700);
    expect(Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64')).toEqual(first.current);

    const second = await loadSecretKeys({ key: undefined, oldKeys: [], keyFile });
    expect(second).toEqual({ current: first.current, old: [], source: 'key file', tightened: false });
  });

  test('an existing 0644 key file is tightened to 0600 and its key kept', async () => {
    const keyFile = join(dir, 'secrets.key');
    await writeFile(keyFile, `${key.toString('hex')}\n`);
    await chmod(keyFile, 0o644);
    const loaded = await loadSecretKeys({ key: undefined, oldKeys: [], keyFile });
    expect(loaded).toEqual({ current: key, old: [], source: 'key file', tightened: true });
    expect(await mode(keyFile)).toBe(0o600);
  });

  test('a configured key wins and no file is made', async () => {
    const keyFile = join(dir, 'secrets.key');
    const loaded = await loadSecretKeys({ key, oldKeys: [], keyFile });
    expect(loaded.source).toBe('IDPORT_SECRETS_KEY');
    await expect(stat(keyFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('a key file that holds no key refuses the start and is left as it was (never replaced by a new key)', async () => {
    const keyFile = join(dir, 'secrets.key');
    await writeFile(keyFile, 'not a key\n', { mode: 0o600 });
    await expect(loadSecretKeys({ key: undefined, oldKeys: [], keyFile })).rejects.toThrow(StartupError);
    await expect(loadSecretKeys({ key: undefined, oldKeys: [], keyFile })).rejects.toThrow(/secrets key file .* must be a 32-byte key/);
    expect(await readFile(keyFile, 'utf8')).toBe('not a key\n');
  });

  test('two starts at once make one key file, and both read the same key', async () => {
    const keyFile = join(dir, 'secrets.key');
    const [x, y] = await Promise.all([0, 1].map(() => loadSecretKeys({ key: undefined, oldKeys: [], keyFile })));
    expect(x?.current).toEqual(y?.current);
    expect([x?.source, y?.source].sort()).toEqual(['key file', 'key file created']);
  });
});
