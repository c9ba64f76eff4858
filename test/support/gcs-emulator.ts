/**
 * Starts test/support/gcs-emulator/main.ts as a separate process, so tests talk to it over real
 * HTTP exactly as they would to GCS, and can stop it to simulate an unreachable bucket.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface GcsEmulator {
  /** `http://127.0.0.1:PORT`: the value for STORAGE_EMULATOR_HOST or `apiEndpoint`. */
  readonly url: string;
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  /** Makes the next `count` API requests fail with `status`. */
  failNext(count: number, status?: number): Promise<void>;
  /** Flips one byte in each of the next `count` download bodies (the hash header stays true). */
  corruptNext(count: number): Promise<void>;
  /**
   * Cuts the next `count` uploads or downloads after `afterBytes` of their body: `drop` closes
   * the connection there, `503` (uploads only) answers 503. See gcs-emulator/faults.ts.
   */
  cut(transfer: 'upload' | 'download', options: { afterBytes: number; mode?: 'drop' | '503'; count?: number }): Promise<void>;
  /** Drops every bucket, object, upload session and injected failure. */
  reset(): Promise<void>;
  /** Kills the process; safe to call twice. */
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('./gcs-emulator/main.ts', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;

export async function startGcsEmulator(): Promise<GcsEmulator> {
  // Jest's NODE_OPTIONS (--experimental-vm-modules) means nothing to the emulator.
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  // `--import tsx` loads TypeScript in this one process; the tsx CLI would fork a second one
  // that a kill of the first could leave behind.
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--exit-with-stdin'], {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-4_000);
  });

  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`GCS emulator ${why}; stderr:\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    child.once('error', (e) => fail(`could not be spawned: ${e.message}`));
    lines.on('line', (line) => {
      const m = /^listening on (http:\/\/\S+)$/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(m[1]!);
    });
  });

  const control = async (path: string) => {
    const res = await fetch(`${url}/_emulator/${path}`, { method: 'POST' });
    if (!res.ok) throw new Error(`GCS emulator ${path}: HTTP ${res.status} ${await res.text()}`);
  };

  return {
    url,
    host: new URL(url).host,
    failNext: (count, status = 503) => control(`fail-next?count=${count}&status=${status}`),
    corruptNext: (count) => control(`corrupt-next?count=${count}`),
    cut: (transfer, { afterBytes, mode = 'drop', count = 1 }) =>
      control(`cut?transfer=${transfer}&afterBytes=${afterBytes}&mode=${mode}&count=${count}`),
    reset: () => control('reset'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
