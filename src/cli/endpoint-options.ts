import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { parseTarget } from './grpc-client.js';

/** A command's answer to the shell: 0 done, 1 done with failed resources, 2 usage or call error. */
export type ExitCode = 0 | 1 | 2;

/** A failure the user can fix (bad flag, unreadable file, refused call): one line, exit code 2. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

export interface EndpointFlags {
  url: string;
  tokenFile?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The default token file: what `npm start` wrote on its first start here. */
export const defaultTokenFile = () => resolve(process.env.IDPORT_HOME ?? '.idport', 'admin.pat');

export function checkUrl(url: string): string {
  try {
    parseTarget(url);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return url;
}

/** The PAT: IDPORT_TOKEN, else --token-file, else the local instance's admin.pat. */
export async function readToken(flags: EndpointFlags): Promise<string> {
  const fromEnv = process.env.IDPORT_TOKEN?.trim();
  if (fromEnv && flags.tokenFile === undefined) return fromEnv;
  const file = flags.tokenFile ?? defaultTokenFile();
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token) return token;
  } catch {
    // reported below
  }
  throw new CommandError(`no token: ${file} is missing or empty (pass --token-file FILE or set IDPORT_TOKEN)`);
}

/** Progress on stderr: one rewritten line on a terminal, one line per update in a log. */
export function progress(): { update(text: string): void; done(): void } {
  const tty = process.stderr.isTTY;
  let shown = false;
  return {
    update(text) {
      if (tty) process.stderr.write(`\r\x1b[K${text}`);
      else process.stderr.write(`${text}\n`);
      shown = true;
    },
    done() {
      if (tty && shown) process.stderr.write('\n');
    },
  };
}
