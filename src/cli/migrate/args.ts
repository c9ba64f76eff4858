import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseTarget } from '../grpc-client.js';
import { type GcsDetour, parseGcsLocation } from './gcs-detour.js';
import { type Endpoint, type Kind, UsageError } from './types.js';

export const USAGE = `usage: migrate --from URL (--from-token-file FILE | IDPORT_SOURCE_TOKEN) --to URL (--to-token-file FILE | IDPORT_TARGET_TOKEN)
               [--from-kind zitadel|idport] [--to-kind zitadel|idport]
               [--org ID]... [--exclude-org ID]... [--with-passwords] [--with-otp]
               [--conflict-policy fail|skip|overwrite] [--dry-run] [--timeout DURATION]
               [--max-message-bytes N] [--items-per-message N]
               [--via-gcs BUCKET/PATH --gcs-service-account FILE]`;

/** grpc-go's default receive limit, which a ZITADEL server keeps unless its operator raised it. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

const GO_DURATION = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/;

/** What the command line asks for (the shape `migrate()` takes, without signal and progress). */
export interface ParsedCommandLine {
  source: Endpoint;
  target: Endpoint;
  orgIds: string[];
  excludedOrgIds: string[];
  withPasswords: boolean;
  withOtp: boolean;
  conflictPolicy?: 'fail' | 'skip' | 'overwrite';
  dryRun: boolean;
  timeout?: string;
  itemsPerMessage?: number;
  maxMessageBytes: number;
  viaGcs?: GcsDetour;
}

async function secretFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

async function token(file: string | undefined, envName: string, side: string): Promise<string> {
  const value = file !== undefined ? (await secretFile(file, `${side} token file`)).trim() : process.env[envName]?.trim();
  if (!value) throw new UsageError(`no ${side} token: pass --${side === 'source' ? 'from' : 'to'}-token-file FILE or set ${envName}`);
  return value;
}

function parseFlags(args: string[]) {
  try {
    return parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        from: { type: 'string' },
        'from-token-file': { type: 'string' },
        'from-kind': { type: 'string' },
        to: { type: 'string' },
        'to-token-file': { type: 'string' },
        'to-kind': { type: 'string' },
        org: { type: 'string', multiple: true },
        'exclude-org': { type: 'string', multiple: true },
        'with-passwords': { type: 'boolean' },
        'with-otp': { type: 'boolean' },
        'conflict-policy': { type: 'string' },
        'dry-run': { type: 'boolean' },
        timeout: { type: 'string' },
        'items-per-message': { type: 'string' },
        'max-message-bytes': { type: 'string' },
        'via-gcs': { type: 'string' },
        'gcs-service-account': { type: 'string' },
      },
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function kind(flag: string, value: string | undefined): Kind | undefined {
  if (value === undefined || value === 'zitadel' || value === 'idport') return value;
  throw new UsageError(`${flag} must be zitadel or idport, not ${JSON.stringify(value)}`);
}

function positiveInt(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > 0xffffffff)
    throw new UsageError(`${flag} must be an integer of at least ${min}, not ${JSON.stringify(value)}`);
  return n;
}

async function gcsDetour(location: string | undefined, accountFile: string | undefined): Promise<GcsDetour | undefined> {
  if (location === undefined && accountFile === undefined) return undefined;
  if (location === undefined || accountFile === undefined)
    throw new UsageError('--via-gcs BUCKET/PATH and --gcs-service-account FILE go together');
  const where = parseGcsLocation(location);
  if (!where) throw new UsageError(`--via-gcs must be BUCKET/PATH (an object name after the bucket), not ${JSON.stringify(location)}`);
  const json = await secretFile(accountFile, 'service-account file');
  return { ...where, serviceAccountJsonBase64: Buffer.from(json).toString('base64') };
}

/** The command line, checked; tokens and the service account read from their files or the environment. */
export async function parseCommandLine(args: string[]): Promise<ParsedCommandLine> {
  const values = parseFlags(args);
  if (!values.from) throw new UsageError('--from URL is required');
  if (!values.to) throw new UsageError('--to URL is required');
  for (const [flag, url] of [
    ['--from', values.from],
    ['--to', values.to],
  ] as const) {
    try {
      parseTarget(url);
    } catch (e) {
      throw new UsageError(`${flag}: ${(e as Error).message}`);
    }
  }
  const policy = values['conflict-policy'];
  if (policy !== undefined && policy !== 'fail' && policy !== 'skip' && policy !== 'overwrite') {
    throw new UsageError(`--conflict-policy must be fail, skip or overwrite, not ${JSON.stringify(policy)}`);
  }
  if (values.timeout !== undefined && !GO_DURATION.test(values.timeout)) {
    throw new UsageError(`--timeout must be a Go duration such as 30m or 1h, not ${JSON.stringify(values.timeout)}`);
  }
  const itemsPerMessage = positiveInt('--items-per-message', values['items-per-message'], 1);
  // Below 1 KiB hardly an org head and one resource fit.
  const maxMessageBytes = positiveInt('--max-message-bytes', values['max-message-bytes'], 1024) ?? DEFAULT_MAX_MESSAGE_BYTES;
  const fromKind = kind('--from-kind', values['from-kind']);
  const toKind = kind('--to-kind', values['to-kind']);
  const [sourceToken, targetToken, viaGcs] = await Promise.all([
    token(values['from-token-file'], 'IDPORT_SOURCE_TOKEN', 'source'),
    token(values['to-token-file'], 'IDPORT_TARGET_TOKEN', 'target'),
    gcsDetour(values['via-gcs'], values['gcs-service-account']),
  ]);
  return {
    source: { url: values.from, token: sourceToken, ...(fromKind ? { kind: fromKind } : {}) },
    target: { url: values.to, token: targetToken, ...(toKind ? { kind: toKind } : {}) },
    orgIds: values.org ?? [],
    excludedOrgIds: values['exclude-org'] ?? [],
    withPasswords: values['with-passwords'] ?? false,
    withOtp: values['with-otp'] ?? false,
    ...(policy === undefined ? {} : { conflictPolicy: policy }),
    dryRun: values['dry-run'] ?? false,
    ...(values.timeout === undefined ? {} : { timeout: values.timeout }),
    ...(itemsPerMessage === undefined ? {} : { itemsPerMessage }),
    maxMessageBytes,
    ...(viaGcs ? { viaGcs } : {}),
  };
}
