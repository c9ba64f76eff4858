/**
 * The `idport` command line (bin/idport.js) against real servers: --help lists the commands,
 * export writes an ExportData file org by org, import reads it back into another instance,
 * and usage or input errors are one line with exit code 2.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { seed } from '../support/export-helpers.js';

const BIN = new URL('../../bin/idport.js', import.meta.url).pathname;
let source: TestApp;
let target: TestApp;
let dir: string;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}
function idport(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('IDPORT_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...base, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  [source, target] = await Promise.all([startTestApp(), startTestApp()]);
  dir = await mkdtemp(join(tmpdir(), 'idport-cli-'));
  await writeFile(join(dir, 'source.pat'), source.token);
  await writeFile(join(dir, 'target.pat'), target.token);
  await seed(source, seededOrgs('5'));
});
afterAll(async () => {
  await Promise.all([source?.close(), target?.close()]);
  await rm(dir, { recursive: true, force: true });
});

test('--help lists every command', async () => {
  const ran = await idport(['--help']);
  expect(ran.code).toBe(0);
  for (const command of ['serve', 'export', 'import', 'migrate']) expect(ran.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  for (const command of ['serve', 'export', 'import']) expect((await idport([command, '--help'])).code).toBe(0);
  expect((await idport(['migrate', '--help'])).stdout).toContain('--from URL');
});

test('export writes the orgs to a file, import reads them into another instance', async () => {
  const file = join(dir, 'export.json');
  const sourceDefault = (
    (await (
      await fetch(`${source.url}/admin/v1/orgs/_search`, {
        method: 'POST',
        headers: { authorization: `Bearer ${source.token}`, 'content-type': 'application/json' },
        body: '{}',
      })
    ).json()) as { result: JsonObject[] }
  ).result.find((o) => o.name === 'idport');
  const exported = await idport([
    'export',
    '--url',
    source.url,
    '--token-file',
    join(dir, 'source.pat'),
    '--with-passwords',
    '--with-otp',
    '--exclude-org',
    String(sourceDefault?.id),
    '-o',
    file,
  ]);
  expect(exported).toMatchObject({ code: 0 });
  expect(exported.stderr).toMatch(/export: 2 org\(s\), \d+ resource\(s\) written to/);
  const written = JSON.parse(await readFile(file, 'utf8')) as { orgs: JsonObject[] };
  expect(written.orgs.map((o) => o.orgId).sort()).toEqual(['1005', '2005']);

  const imported = await idport(['import', file, '--url', target.url, '--token-file', join(dir, 'target.pat')]);
  expect(imported.stderr).toContain('sent 2 org(s)');
  expect(imported.stdout).toMatch(/2 org\(s\) imported/);
  expect(imported.code).toBe(0);
  // Again: everything is there already and unchanged.
  const again = await idport(['import', file, '--url', target.url, '--token-file', join(dir, 'target.pat')]);
  expect(again.stdout).toMatch(/created 0, unchanged [1-9]\d*/);
});

test('usage and input errors are one line and exit code 2', async () => {
  const bad = await idport(['export', '--timeout', 'soon']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("option '--timeout <duration>' argument 'soon' is invalid");
  const broken = join(dir, 'broken.json');
  await writeFile(broken, '{"orgs":[{"orgId":"1"');
  const truncated = await idport(['import', broken, '--url', target.url, '--token-file', join(dir, 'target.pat')]);
  expect(truncated.code).toBe(2);
  expect(truncated.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^idport import: /)]);
  const noToken = await idport(['import', broken, '--url', target.url, '--token-file', join(dir, 'missing.pat')]);
  expect(noToken).toMatchObject({ code: 2, stderr: expect.stringMatching(/^idport import: no token: .*missing\.pat is missing or empty/) });
});
