import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KRATOS_BATCH_LIMITS } from '../application/kratos/kratos-identities.js';

const USAGE = `usage: import-identities --endpoint URL [--token-file FILE] FILE...
  Imports Kratos identity files (one identity, an array, or a batch patch body each) through
  PATCH /admin/identities, as \`kratos import identities\` does. Token: --token-file or IDPORT_TOKEN.`;

export type Io = { out(m: string): void; err(m: string): void };

interface PatchAnswer {
  action?: string;
  identity?: string;
  error?: { code?: number; reason?: string };
  idport_not_carried?: string[];
}

function identitiesOf(parsed: unknown): unknown[] {
  if (Array.isArray(parsed)) return parsed;
  if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { identities?: unknown }).identities)) {
    return (parsed as { identities: unknown[] }).identities.map((p) =>
      p && typeof p === 'object' && 'create' in p ? (p as { create: unknown }).create : p,
    );
  }
  return [parsed];
}

const hasPlaintext = (i: unknown) =>
  typeof (i as { credentials?: { password?: { config?: { password?: unknown } } } })?.credentials?.password?.config?.password === 'string';

/** Splits identities into batches within Kratos' limits (1,000 per request, 200 with plaintext passwords). */
export function batches(identities: readonly unknown[]): unknown[][] {
  const out: unknown[][] = [];
  let current: unknown[] = [];
  let plaintext = 0;
  for (const i of identities) {
    const p = hasPlaintext(i) ? 1 : 0;
    if (current.length === KRATOS_BATCH_LIMITS.identities || plaintext + p > KRATOS_BATCH_LIMITS.plaintextPasswords) {
      out.push(current);
      current = [];
      plaintext = 0;
    }
    current.push(i);
    plaintext += p;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Exit codes: 0 every identity imported, 1 some were not (each printed with its file and
 * reason), 2 usage error or a failed call.
 */
export async function runImportIdentities(argv: string[], io: Io = { out: console.log, err: console.error }): Promise<number> {
  let values: { endpoint?: string | undefined; 'token-file'?: string | undefined };
  let files: string[];
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { endpoint: { type: 'string' }, 'token-file': { type: 'string' } },
    });
    values = parsed.values;
    files = parsed.positionals;
  } catch (e) {
    io.err(`import identities: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!values.endpoint || files.length === 0) {
    io.err(`import identities: need --endpoint and at least one FILE\n${USAGE}`);
    return 2;
  }
  let token: string | undefined;
  try {
    token = values['token-file'] ? (await readFile(values['token-file'], 'utf8')).trim() : process.env.IDPORT_TOKEN;
  } catch (e) {
    io.err(`import identities: ${(e as Error).message}`);
    return 2;
  }
  if (!token) {
    io.err('import identities: no token: pass --token-file or set IDPORT_TOKEN');
    return 2;
  }
  return importIdentityFiles({ endpoint: values.endpoint, token }, files, io);
}

/**
 * Sends each file's identities to PATCH /admin/identities in batches within Kratos' limits
 * (also `idport import identities`). Every identity not imported, and everything not carried,
 * is printed with its file and index.
 */
export async function importIdentityFiles(
  target: { endpoint: string; token: string },
  files: readonly string[],
  io: Io,
): Promise<0 | 1 | 2> {
  let failed = 0;
  let imported = 0;
  try {
    for (const file of files) {
      const identities = identitiesOf(JSON.parse(await readFile(file, 'utf8')));
      let offset = 0;
      for (const batch of batches(identities)) {
        const res = await fetch(new URL('/admin/identities', target.endpoint), {
          method: 'PATCH',
          headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ identities: batch.map((create) => ({ create })) }),
        });
        const body = (await res.json()) as { identities?: PatchAnswer[]; error?: { reason?: string } };
        if (!res.ok) throw new Error(`${file}: HTTP ${res.status}: ${body.error?.reason ?? 'request failed'}`);
        (body.identities ?? []).forEach((a, i) => {
          const where = `${file}#${offset + i}`;
          for (const note of a.idport_not_carried ?? []) io.err(`${where}: not carried: ${note}`);
          if (a.action === 'create') {
            imported++;
          } else {
            failed++;
            io.err(`${where}: ${a.error?.code ?? ''} ${a.error?.reason ?? 'not imported'}`.replace(/ {2,}/g, ' '));
          }
        });
        offset += batch.length;
      }
    }
  } catch (e) {
    // fetch names only "fetch failed"; the reason (ECONNREFUSED, a bad certificate) is its cause.
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause ? `: ${cause.code ?? cause.message ?? ''}` : '';
    io.err(`import identities: ${(e as Error).message}${why}`);
    return 2;
  }
  io.out(`imported ${imported} identities, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  runImportIdentities(process.argv.slice(2)).then((code) => process.exit(code));
}
