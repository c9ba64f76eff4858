import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';

export interface ServerProcess {
  url: string;
  token: string;
  pid: number;
  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRss(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The server's environment: the bench's own, minus DATABASE_URL (the server the bench creates
 * its databases on), plus the case's. A case names its database itself; one that names none
 * (PGlite) must get the embedded database, never the DATABASE_URL server's maintenance one.
 */
export function serverEnvironment(parent: NodeJS.ProcessEnv, env: Record<string, string>, home: string): NodeJS.ProcessEnv {
  const { DATABASE_URL: _server, ...inherited } = parent;
  return {
    ...inherited,
    NODE_OPTIONS: parent.BENCH_SERVER_NODE_OPTIONS ?? '',
    IDPORT_HOME: home,
    IDPORT_PORT: '0',
    IDPORT_HOST: '127.0.0.1',
    IDPORT_LOG_LEVEL: 'warn',
    ...env,
  };
}

/**
 * Starts `src/main.ts` as its own process, so its memory is measured alone.
 * BENCH_SERVER_NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles it.
 */
export async function startServer(env: Record<string, string>, home: string): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: serverEnvironment(process.env, env, home),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      // The banner names the bind address (`idport listening on 127.0.0.1:PORT: …`, src/serve.ts).
      const m = /listening on ([\d.]+):(\d+)/.exec(out);
      if (m) resolve(`http://${m[1]}:${m[2]}`);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const token = (await readFile(join(home, 'admin.pat'), 'utf8')).trim();
  return {
    url,
    token,
    pid: child.pid as number,
    async peakRss() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
      return kb * 1024;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** POST JSON without client-side timeouts (a million-user import takes minutes). */
export function postJson(url: string, token: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': data.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          } catch (e) {
            reject(e);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
