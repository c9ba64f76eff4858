/**
 * Starts test/support/s3-emulator/main.ts as a separate process with a fresh random key pair,
 * so tests talk to it over real HTTP with real SigV4 signatures, and can stop it to simulate an
 * unreachable store. `client()` is an SDK client for the tests' own checks.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';

export interface S3Fault {
  /** S3 operation name (`UploadPart`, `GetObject`, ...) or `*`. */
  op: string;
  /** Matching requests that pass before the fault starts (default 0). */
  after?: number;
  /** Matching requests that fail (default 1). */
  count?: number;
  mode?: 'status' | 'reset' | 'hang' | 'truncate';
  status?: number;
}

export interface S3EmulatorState {
  buckets: Record<string, { objects: Record<string, number>; uploads: { key: string; uploadId: string; parts: number[] }[] }>;
  requests: Record<string, number>;
}

export interface S3Emulator {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `127.0.0.1:PORT`: the `endpoint` field of ZITADEL's S3 messages. */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  client(credentials?: { accessKeyId: string; secretAccessKey: string }): S3Client;
  fault(fault: S3Fault): Promise<void>;
  state(): Promise<S3EmulatorState>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('./s3-emulator/main.ts', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;

export async function startS3Emulator(): Promise<S3Emulator> {
  const accessKeyId = `AKIDEMU${randomBytes(6).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  // Credentials via the environment: a command line is visible to every user of the machine.
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--exit-with-stdin'], {
    cwd: ROOT,
    env: { ...env, S3_EMULATOR_ACCESS_KEY_ID: accessKeyId, S3_EMULATOR_SECRET_ACCESS_KEY: secretAccessKey },
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
      reject(new Error(`S3 emulator ${why}; stderr:\n${stderr}`));
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

  const control = async (path: string, method = 'POST') => {
    const res = await fetch(`${url}/_emulator/${path}`, { method });
    if (!res.ok) throw new Error(`S3 emulator ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json() as Promise<unknown>;
  };

  return {
    url,
    endpoint: new URL(url).host,
    accessKeyId,
    secretAccessKey,
    client: (credentials = { accessKeyId, secretAccessKey }) =>
      new S3Client({
        endpoint: url,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    async fault(f) {
      const q = new URLSearchParams({
        op: f.op,
        after: String(f.after ?? 0),
        count: String(f.count ?? 1),
        mode: f.mode ?? 'status',
        status: String(f.status ?? 503),
      });
      await control(`fault?${q}`);
    },
    state: async () => (await control('state', 'GET')) as S3EmulatorState,
    reset: async () => {
      await control('reset');
    },
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
