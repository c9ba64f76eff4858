/**
 * The server as an operator runs it: `npm start` in a real process. A bad setting or a taken
 * port is one line on stderr and exit code 2, with nothing written; SIGTERM to `npm start`
 * reaches the server (no orphan) and it exits 0. The first start puts the admin PAT only in its
 * file, never on stdout or stderr. Waits on the process's own output, never sleeps.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;
let home: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'idport-process-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<number | null>;
}

function start(env: Record<string, string>): Run {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('IDPORT_') && k !== 'NODE_OPTIONS' && k !== 'DATABASE_URL'),
  );
  const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...base, IDPORT_HOME: home, ...env }, stdio: 'pipe' });
  const run: Run = { child, stdout: [], stderr: [], exit: once(child, 'exit').then(([code]) => code as number | null) };
  child.stdout?.setEncoding('utf8').on('data', (s: string) => run.stdout.push(s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => run.stderr.push(s));
  return run;
}

/** Resolves with the output once `pattern` appears on stdout (or fails if the process ends first). */
async function waitFor(run: Run, pattern: RegExp): Promise<RegExpExecArray> {
  const seen = () => pattern.exec(run.stdout.join(''));
  while (!seen()) {
    const ended = await Promise.race([once(run.child.stdout!, 'data').then(() => false), run.exit.then(() => true)]);
    if (ended && !seen()) throw new Error(`process ended before ${pattern}: ${run.stdout.join('')}${run.stderr.join('')}`);
  }
  return seen()!;
}

const lines = (chunks: string[]) =>
  chunks
    .join('')
    .split('\n')
    .filter((l) => l !== '');

test('a bad setting is one line on stderr and exit code 2', async () => {
  const run = start({ IDPORT_PORT: 'eighty', IDPORT_DATA_DIR: 'memory://' });
  expect(await run.exit).toBe(2);
  expect(lines(run.stderr)).toEqual([expect.stringMatching(/^idport: IDPORT_PORT must be a non-negative integer, got "eighty"$/)]);
  expect(await readdir(home)).toEqual([]);
});

test('a bad IDPORT_SECRETS_KEY is one line on stderr and exit code 2, the value not echoed', async () => {
  const run = start({ IDPORT_SECRETS_KEY: 'too-short-to-be-a-key', IDPORT_DATA_DIR: 'memory://' });
  expect(await run.exit).toBe(2);
  expect(lines(run.stderr)).toEqual([
    expect.stringMatching(/^idport: IDPORT_SECRETS_KEY must be a 32-byte key as 64 hex digits or base64/),
  ]);
  expect(run.stderr.join('')).not.toContain('too-short-to-be-a-key');
  expect(await readdir(home)).toEqual([]);
});

test('a taken port is one line on stderr and exit code 2, before the instance or its token exist', async () => {
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    const run = start({ IDPORT_HOST: '127.0.0.1', IDPORT_PORT: String(port) });
    expect(await run.exit).toBe(2);
    expect(lines(run.stderr)).toEqual([
      `idport: port ${port} is already in use on 127.0.0.1: stop the other process or choose another port with IDPORT_PORT`,
    ]);
    // No data directory, no admin token: nothing was written.
    expect(await readdir(home)).toEqual([]);
  } finally {
    taken.close();
  }
});

test('SIGTERM to npm start stops the server (no orphan), which exits 0 after draining', async () => {
  const run = start({ IDPORT_HOST: '127.0.0.1', IDPORT_PORT: '0', IDPORT_DATA_DIR: 'memory://' });
  const [, address, port] = await waitFor(run, /idport listening on (127\.0\.0\.1):(\d+)/);
  expect(address).toBe('127.0.0.1');
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(health.status).toBe(200);
  run.child.kill('SIGTERM');
  expect(await run.exit).toBe(0);
  // The server itself got the signal: it drained and said so, and its port is free again.
  const logged = lines(run.stdout)
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string });
  expect(logged.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down: draining', 'stopped']));
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
});

test('the first start writes the admin PAT only to its file (0600, even over an old 0644 one); the output names the file', async () => {
  const tokenFile = join(home, 'admin.pat');
  await writeFile(tokenFile, 'stale\n', { mode: 0o644 });
  // Debug level: the chattiest the server gets, so no log line at any level may carry it.
  const run = start({ IDPORT_HOST: '127.0.0.1', IDPORT_PORT: '0', IDPORT_LOG_LEVEL: 'debug' });
  const [, named] = await waitFor(run, /admin personal access token written to (\S+) \(mode 0600\)/);
  expect(named).toBe(tokenFile);
  const token = (await readFile(tokenFile, 'utf8')).trim();
  expect(token).toMatch(/^\S{20,}$/);
  expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
  run.child.kill('SIGTERM');
  expect(await run.exit).toBe(0);
  const output = run.stdout.join('') + run.stderr.join('');
  expect(output).toContain(tokenFile);
  expect(output).not.toContain(token);
  // Nor any long piece of it (a log line that cut or wrapped it would still leak most of it).
  expect(output).not.toContain(token.slice(0, 16));
  expect(output).not.toContain(token.slice(-16));
}, 60_000);

test('SIGTERM while the server starts (database opening) closes it cleanly: exit 0, and the next start opens the same data', async () => {
  // The first log line is written while the embedded database is being set up, before the banner.
  const first = start({ IDPORT_HOST: '127.0.0.1', IDPORT_PORT: '0' });
  await waitFor(first, /first start: secrets key/);
  first.child.kill('SIGTERM');
  expect(await first.exit).toBe(0);
  const again = start({ IDPORT_HOST: '127.0.0.1', IDPORT_PORT: '0' });
  const [, port] = await waitFor(again, /idport listening on 127\.0\.0\.1:(\d+)/);
  expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  again.child.kill('SIGTERM');
  expect(await again.exit).toBe(0);
  // No second owner was refused: the first one let the data directory go.
  expect(again.stderr.join('')).toBe('');
});
