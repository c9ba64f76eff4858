/**
 * `idport convert` and `idport import identities` run as processes (bin/idport.js), and the
 * `npm run idport --` and `npm run convert` spellings (and `npm run demo-data`'s flags): files
 * converted offline with what did not convert printed, Kratos identity files imported into a running idport with failures named by
 * file and index, usage errors exit code 2.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../support/app.js';
import { kratosClient, kratosHashes, listedIdentity } from '../support/kratos.js';
import { acmeRealm } from '../support/realm.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/idport.js');
let app: TestApp;
let dir: string;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}
const env = (extra: Record<string, string>) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('IDPORT_'))),
  ...extra,
});
function spawn(file: string, args: string[], extra: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { env: env(extra), cwd: ROOT }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
const idport = (args: string[], extra: Record<string, string> = {}) => spawn(process.execPath, [BIN, ...args], extra);

beforeAll(async () => {
  app = await startTestApp();
  dir = await mkdtemp(join(tmpdir(), 'idport-cli-kratos-'));
  await writeFile(join(dir, 'admin.pat'), app.token);
});
afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

test('convert: Kratos → ZITADEL → Kratos offline; what did not convert is printed, exit 1', async () => {
  const given = listedIdentity(2, kratosHashes('pw').bcrypt as string);
  const input = join(dir, 'kratos.json');
  await writeFile(input, JSON.stringify([given, { schema_id: 'x', traits: {} }]));
  const zitadel = join(dir, 'zitadel.json');
  const ran = await idport(['convert', '--from', 'kratos', '--to', 'zitadel', '--org', 'o1', '--org-name', 'Imported', input, zitadel]);
  expect(ran.code).toBe(1);
  expect(ran.stderr).toMatch(/^not converted: identity #1: not converted: traits carry no email/m);
  expect(ran.stdout).toBe(`converted 1 items from kratos to zitadel: ${zitadel}\n`);
  const orgs = JSON.parse(await readFile(zitadel, 'utf8')).orgs;
  expect(orgs).toMatchObject([{ orgId: 'o1', org: { name: 'Imported' }, humanUsers: [{ userId: given.id }] }]);

  const back = join(dir, 'back.json');
  const again = await idport(['convert', '--from', 'zitadel', '--to', 'kratos', zitadel, back]);
  expect(again.code).toBe(0);
  const identities = JSON.parse(await readFile(back, 'utf8'));
  expect(identities).toMatchObject([{ id: given.id, traits: given.traits, metadata_admin: given.metadata_admin }]);
});

test('convert: realm → ZITADEL; usage errors exit 2 with one message', async () => {
  const input = join(dir, 'realm.json');
  await writeFile(input, JSON.stringify(acmeRealm('cli-acme')));
  const out = join(dir, 'realm-zitadel.json');
  const ran = await idport(['convert', '--from', 'realm', '--to', 'zitadel', input, out]);
  expect(ran.stdout).toMatch(/^converted \d+ items from realm to zitadel/);
  expect(JSON.parse(await readFile(out, 'utf8')).orgs[0].orgId).toBe('cli-acme');

  const bad = await idport(['convert', '--from', 'ldap', '--to', 'zitadel', input, out]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("option '--from <format>' argument 'ldap' is invalid");
  expect((await idport(['convert', '--from', 'realm', input, out])).code).toBe(2);
  const missing = await idport(['convert', '--from', 'realm', '--to', 'zitadel', join(dir, 'missing.json'), out]);
  expect(missing).toMatchObject({ code: 2, stderr: expect.stringMatching(/^convert: ENOENT/) });
});

test('npm run idport -- convert and npm run convert give the same file', async () => {
  const input = join(dir, 'npm-in.json');
  await writeFile(input, JSON.stringify([listedIdentity(3, kratosHashes('pw').bcrypt as string)]));
  const [a, b] = [join(dir, 'npm-a.json'), join(dir, 'npm-b.json')];
  const npm = 'npm';
  const viaIdport = await spawn(npm, [
    'run',
    '--silent',
    'idport',
    '--',
    'convert',
    '--from',
    'kratos',
    '--to',
    'zitadel',
    '--org',
    'o',
    input,
    a,
  ]);
  const viaAlias = await spawn(npm, ['run', '--silent', 'convert', '--', '--from', 'kratos', '--to', 'zitadel', '--org', 'o', input, b]);
  expect([viaIdport.code, viaAlias.code]).toEqual([0, 0]);
  const strip = (s: string) => JSON.parse(s.replace(/"\d{4}-\d\d-\d\dT[^"]+"/g, '"<time>"'));
  expect(strip(await readFile(a, 'utf8'))).toEqual(strip(await readFile(b, 'utf8')));
});

test('import identities FILE…: Kratos files into a running idport; failures and what was not carried named by file', async () => {
  const a = join(dir, 'ids-a.json');
  const b = join(dir, 'ids-b.json');
  const many = Array.from({ length: 3 }, (_, n) => ({ schema_id: 'default', traits: { email: `cli-imp-${n}@example.com` } }));
  await writeFile(a, JSON.stringify(many));
  const listed = listedIdentity(4, kratosHashes('pw').bcrypt as string);
  await writeFile(b, JSON.stringify({ identities: [{ create: listed }, { create: { schema_id: 'x', traits: { email: 'broken' } } }] }));
  const ran = await idport(['import', 'identities', a, b, '--url', app.url, '--token-file', join(dir, 'admin.pat')]);
  expect(ran.code).toBe(1);
  expect(ran.stdout).toBe('imported 4 identities, 1 failed\n');
  const lines = ran.stderr.trim().split('\n');
  expect(lines).toEqual([
    expect.stringMatching(new RegExp(`^${b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}#0: not carried: credentials\\.oidc provider github`)),
    expect.stringMatching(new RegExp(`^${b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}#1: 400 `)),
  ]);
  const kratos = kratosClient(app.url, app.token);
  expect((await kratos.getIdentity({ id: listed.id as string })).data.traits).toEqual(listed.traits);

  // The token from IDPORT_TOKEN; the same files again are conflicts (409), each named.
  const again = await idport(['import', 'identities', a, '--url', app.url], { IDPORT_TOKEN: app.token });
  expect(again.code).toBe(1);
  expect(again.stderr.trim().split('\n')).toHaveLength(3);
  expect(again.stderr).toMatch(/#0: 409 /);
  const noToken = await idport(['import', 'identities', a, '--url', app.url, '--token-file', join(dir, 'none.pat')]);
  expect(noToken).toMatchObject({ code: 2, stderr: expect.stringMatching(/^idport import identities: no token: /) });
});

test('npm run demo-data -- --help prints the usage; an unknown flag is exit 2; --out writes the sample file', async () => {
  const help = await spawn('npm', ['run', '--silent', 'demo-data', '--', '--help']);
  expect(help).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage: npm run demo-data/) });
  const bogus = await spawn('npm', ['run', '--silent', 'demo-data', '--', '--bogus']);
  expect(bogus.code).toBe(2);
  expect(bogus.stderr).toMatch(/^demo-data: Unknown option '--bogus'/);
  const out = join(dir, 'demo.json');
  expect((await spawn('npm', ['run', '--silent', 'demo-data', '--', '--orgs', '2', '--users', '3', '--out', out])).code).toBe(0);
  expect(JSON.parse(await readFile(out, 'utf8')).orgs).toHaveLength(2);
});
