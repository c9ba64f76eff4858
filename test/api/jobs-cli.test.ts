/**
 * `idport jobs …` against a real server: an import job started from a file is watched to its
 * end (plain lines when stderr is not a terminal, the final job on stdout, exit 0), listed,
 * shown, and refused a cancel once ended (one line, exit 2); an export job writes its file.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import { startTestApp, type TestApp } from '../support/app.js';
import { bulkOrgs } from '../support/import-data.js';

const BIN = new URL('../../bin/idport.js', import.meta.url).pathname;
let app: TestApp;
let dir: string;

function idport(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('IDPORT_')));
  const all = [...args, '--url', app.url, '--token-file', join(dir, 'admin.pat')];
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...all], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  app = await startTestApp();
  dir = await mkdtemp(join(tmpdir(), 'idport-jobs-cli-'));
  await writeFile(join(dir, 'admin.pat'), app.token);
  await writeFile(join(dir, 'orgs.json'), JSON.stringify({ orgs: bulkOrgs('cli', 4, 20) }));
});
afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

test('jobs import, watch, get, list and cancel', async () => {
  const started = await idport(['jobs', 'import', join(dir, 'orgs.json'), '--json']);
  expect(started).toMatchObject({ code: 0, stderr: '' });
  const job = JSON.parse(started.stdout) as JsonObject;
  expect(job).toMatchObject({ state: 'JOB_STATE_QUEUED', source: 'inline:4 orgs' });

  const watched = await idport(['jobs', 'watch', String(job.id)]);
  expect(watched.code).toBe(0);
  expect(watched.stdout).toMatch(new RegExp(`^${job.id} succeeded orgs 4/4 pass 3 rows 84 .* at \\S+\\n$`));
  // Not a terminal: one timestamped line per change, no bar.
  const lines = watched.stderr.trim().split('\n');
  expect(lines.length).toBeGreaterThanOrEqual(1);
  for (const line of lines) expect(line).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+ ${job.id} (queued|running|succeeded) `));

  expect((await idport(['jobs', 'get', String(job.id)])).stdout).toMatch(new RegExp(`^${job.id} succeeded `));
  expect((await idport(['jobs', 'list', '--state', 'succeeded'])).stdout).toContain(String(job.id));
  const cancel = await idport(['jobs', 'cancel', String(job.id)]);
  expect(cancel.code).toBe(2);
  expect(cancel.stderr).toMatch(/^idport jobs cancel: .*has ended \(succeeded\)/);
});

test('jobs export writes the file in the server’s export directory', async () => {
  const started = await idport(['jobs', 'export', '--local', 'cli-export.json', '--org', 'cli-o0000', '--json']);
  expect(started.code).toBe(0);
  const job = JSON.parse(started.stdout) as JsonObject;
  expect((await idport(['jobs', 'watch', String(job.id)])).code).toBe(0);
  const file = JSON.parse(await readFile(join(app.exportDir, 'cli-export.json'), 'utf8')) as { orgs: JsonObject[] };
  expect(file.orgs.map((o) => o.orgId)).toEqual(['cli-o0000']);
});
