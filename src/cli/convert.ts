import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { convertData, FORMATS, type Format } from '../application/convert/convert-files.js';
import { parseKratosMapping } from '../application/convert/kratos-traits.js';
import { isDomainError } from '../domain/errors.js';
import type { Json } from '../domain/json.js';

const USAGE = `usage: convert --from zitadel|kratos|realm --to zitadel|kratos|realm [--org ID] [--org-name NAME] IN OUT
  Converts an export file offline. Kratos: identities as GET /admin/identities lists them (or a batch
  patch body); ZITADEL: an ExportData file ({"orgs": [...]}); realm: a realm export (or an array).
  What does not convert is printed.
  IDPORT_KRATOS_TRAITS / IDPORT_KRATOS_PROVIDERS set the trait mapping and provider table.`;

/**
 * Offline conversion (no server). Exit codes: 0 everything converted, 1 some items were not
 * (each printed), 2 usage or input error.
 */
export async function runConvert(argv: string[], io = { out: console.log, err: console.error }): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (e) {
    io.err(`convert: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  const from = values.from as Format;
  const to = values.to as Format;
  if (!FORMATS.includes(from) || !FORMATS.includes(to) || positionals.length !== 2) {
    io.err(`convert: need --from, --to (${FORMATS.join(', ')}) and IN OUT\n${USAGE}`);
    return 2;
  }
  const [input, output] = positionals as [string, string];
  return convertFile({ from, to, input, output, org: values.org, orgName: values['org-name'] }, io);
}

export interface ConvertOptions {
  from: Format;
  to: Format;
  input: string;
  output: string;
  org?: string | undefined;
  orgName?: string | undefined;
}

/** Converts one file (also `idport convert`); each item that did not convert is printed. */
export async function convertFile(opts: ConvertOptions, io = { out: console.log, err: console.error }): Promise<0 | 1 | 2> {
  const { from, to } = opts;
  try {
    const input = JSON.parse(await readFile(opts.input, 'utf8')) as Json;
    const result = convertData(input, {
      from,
      to,
      mapping: parseKratosMapping(process.env.IDPORT_KRATOS_TRAITS, process.env.IDPORT_KRATOS_PROVIDERS),
      ...(opts.org ? { orgId: opts.org } : {}),
      ...(opts.orgName ? { orgName: opts.orgName } : {}),
    });
    await writeFile(opts.output, `${JSON.stringify(result.output, null, 2)}\n`);
    for (const p of result.problems) io.err(`not converted: ${p}`);
    io.out(`converted ${result.converted} items from ${from} to ${to}: ${opts.output}`);
    return result.problems.some((p) => p.includes('not converted:')) ? 1 : 0;
  } catch (e) {
    io.err(
      `convert: ${isDomainError(e) || e instanceof SyntaxError || (e as NodeJS.ErrnoException).code ? (e as Error).message : String(e)}`,
    );
    return 2;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: { from: { type: 'string' }, to: { type: 'string' }, org: { type: 'string' }, 'org-name': { type: 'string' } },
  });
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  runConvert(process.argv.slice(2)).then((code) => process.exit(code));
}
