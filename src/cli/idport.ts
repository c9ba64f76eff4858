/**
 * `idport`: one command line (package.json `bin`, so `npx idport …` works in a checkout).
 *   serve    run the server (what `npm start` runs)
 *   export   a running instance's orgs into an ExportData file
 *   import   an ExportData file into a running instance
 *   import identities  Kratos identity files into a running instance (as `kratos import identities`)
 *   convert  a ZITADEL, Kratos or realm file into another of the three, offline
 *   migrate  instance to instance, without a file (src/cli/migrate.ts)
 *   jobs     start, watch, list and cancel background import/export jobs (src/cli/jobs.command.ts)
 * Exit codes: 0 done, 1 done but some resources failed, 2 usage error or failed call.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Format } from '../application/convert/convert-files.js';
import { CommandError, checkUrl, DEFAULT_URL, type ExitCode } from './endpoint-options.js';

const stdio = { out: (m: string) => process.stdout.write(`${m}\n`), err: (m: string) => process.stderr.write(`${m}\n`) };

const GO_DURATION = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/;
const duration = (value: string) => {
  if (!GO_DURATION.test(value)) throw new InvalidArgumentError('expected a Go duration such as 30s, 10m or 1h');
  return value;
};
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Runs a client command with Ctrl-C/SIGTERM cancelling its call, and turns its outcome into an exit code. */
async function run(work: (signal: AbortSignal) => Promise<ExitCode>, name: string): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort(new CommandError('interrupted: the call was cancelled'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    process.exitCode = await work(controller.signal);
  } catch (e) {
    const reason = controller.signal.aborted ? controller.signal.reason : e;
    process.stderr.write(`idport ${name}: ${(reason instanceof Error ? reason.message : String(reason)).split('\n', 1)[0]}\n`);
    process.exitCode = 2;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

export function createProgram(): Command {
  const program = new Command('idport')
    .description("Identity migration service speaking ZITADEL's admin export/import wire contract")
    .showHelpAfterError()
    // Each command's flags are its own (needed for `import identities`, see there).
    .enablePositionalOptions()
    // Usage errors are exit code 2, like every other failure a user can fix.
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
  const endpoint = (cmd: Command) =>
    cmd
      .addOption(
        new Option('--url <url>', 'the instance (http:// = plaintext HTTP/2, https:// = TLS)').default(DEFAULT_URL).argParser(checkUrl),
      )
      .option('--token-file <file>', 'file holding a PAT (default: $IDPORT_TOKEN, else $IDPORT_HOME/admin.pat)');

  program
    .command('serve')
    .description('run the server on one port for gRPC, gRPC-Web, Connect and REST (configured by IDPORT_* variables, see README)')
    .option('--port <port>', 'same as IDPORT_PORT')
    .option('--host <address>', 'same as IDPORT_HOST')
    .action(async (flags: { port?: string; host?: string }) => {
      if (flags.port !== undefined) process.env.IDPORT_PORT = flags.port;
      if (flags.host !== undefined) process.env.IDPORT_HOST = flags.host;
      const { serve } = await import('../serve.js');
      await serve();
    });

  endpoint(program.command('export'))
    .description('write a running instance\'s orgs to an ExportData file ({"orgs":[…]}), org by org, with progress on stderr')
    .option('-o, --output <file>', 'where to write (default: stdout)')
    .option('--org <id>', 'an org to export (repeatable; default: all)', collect)
    .option('--exclude-org <id>', 'an org to leave out (repeatable)', collect)
    .option('--with-passwords', 'include password hashes')
    .option('--with-otp', 'include OTP secrets')
    .option('--timeout <duration>', 'server-side deadline (Go duration)', duration)
    .action(async (flags) => {
      const { runExport } = await import('./export.command.js');
      await run((signal) => runExport(flags, signal), 'export');
    });

  const importCommand = endpoint(program.command('import'))
    .description(
      'import an ExportData file into a running instance over StreamImport, org by org; prints the report (`import identities FILE…`: Kratos identity files)',
    )
    .argument('<file>', 'an ExportData file (admin DataOrgs: {"orgs":[…]}); a file named identities: ./identities')
    .addOption(new Option('--conflict-policy <policy>', 'a resource that exists with other content').choices(['fail', 'skip', 'overwrite']))
    .option('--dry-run', 'report what would happen, write nothing')
    .option('--timeout <duration>', 'server-side deadline (Go duration)', duration)
    .action(async (file: string, flags) => {
      const { runImport } = await import('./import.command.js');
      await run((signal) => runImport(file, flags, signal), 'import');
    });

  // `kratos import identities FILE…`'s counterpart: the files go to idport's Kratos API in batches.
  // Positional options (here and on the program): flags after `identities` are its own, not
  // those of `import`, which has the same ones.
  importCommand.enablePositionalOptions();
  endpoint(importCommand.command('identities'))
    .description('import Kratos identity files (one identity, an array, or a batch patch body each) through PATCH /admin/identities')
    .argument('<files...>', 'Kratos identity files')
    .action(async (files: string[], flags: { url: string; tokenFile?: string }) => {
      const [{ readToken }, { importIdentityFiles }] = await Promise.all([
        import('./endpoint-options.js'),
        import('./import-identities.js'),
      ]);
      await run(async () => importIdentityFiles({ endpoint: flags.url, token: await readToken(flags) }, files, stdio), 'import identities');
    });

  const format = (flag: string, what: string) => new Option(flag, what).choices(['zitadel', 'kratos', 'realm']).makeOptionMandatory();
  program
    .command('convert')
    .description(
      'convert an export file offline (no server); prints what did not convert. Kratos: IDPORT_KRATOS_TRAITS, IDPORT_KRATOS_PROVIDERS',
    )
    .addOption(format('--from <format>', 'what IN is: a ZITADEL ExportData file, Kratos identities, or a realm export'))
    .addOption(format('--to <format>', 'what OUT becomes'))
    .option('--org <id>', 'the ZITADEL org Kratos identities without organization_id go to (default: a new id)')
    .option('--org-name <name>', "that org's name (default: kratos)")
    .argument('<in>', 'the file to convert')
    .argument('<out>', 'where to write the result')
    .action(async (input: string, output: string, flags: { from: Format; to: Format; org?: string; orgName?: string }) => {
      const { convertFile } = await import('./convert.js');
      await run(() => convertFile({ ...flags, input, output }, stdio), 'convert');
    });

  const jobs = program.command('jobs').description('migration jobs on a running instance: run in the background, resumable, watched');
  const json = (cmd: Command) => cmd.option('--json', 'print the job as proto-JSON');
  json(endpoint(jobs.command('import')))
    .description("start an import job: FILE sent inline, or --local PATH in the server's import directory")
    .argument('[file]', 'an ExportData file (admin DataOrgs: {"orgs":[…]})')
    .option('--local <path>', "a file in the server's IDPORT_IMPORT_DIR (for big files)")
    .addOption(new Option('--conflict-policy <policy>', 'a resource that exists with other content').choices(['fail', 'skip', 'overwrite']))
    .option('--dry-run', 'report what would happen, write nothing')
    .option('--timeout <duration>', "the job's deadline (Go duration)", duration)
    .action(async (file: string | undefined, flags) => {
      const { startImport } = await import('./jobs.command.js');
      await run(() => startImport(file, flags), 'jobs import');
    });
  json(endpoint(jobs.command('export')))
    .description("start an export job to a file in the server's export directory")
    .requiredOption('--local <path>', "where, in the server's IDPORT_EXPORT_DIR")
    .option('--org <id>', 'an org to export (repeatable; default: all)', collect)
    .option('--exclude-org <id>', 'an org to leave out (repeatable)', collect)
    .option('--with-passwords', 'include password hashes')
    .option('--with-otp', 'include OTP secrets')
    .option('--timeout <duration>', "the job's deadline (Go duration)", duration)
    .action(async (flags) => {
      const { startExport } = await import('./jobs.command.js');
      await run(() => startExport(flags), 'jobs export');
    });
  json(endpoint(jobs.command('get')))
    .argument('<id>')
    .description('show a job')
    .action(async (id: string, flags) => {
      const { getJob } = await import('./jobs.command.js');
      await run(() => getJob(id, flags), 'jobs get');
    });
  json(endpoint(jobs.command('list')))
    .description('list jobs, newest first')
    .addOption(new Option('--state <state>').choices(['queued', 'running', 'succeeded', 'failed', 'cancelled']))
    .option('--principal <user-id>', 'only jobs this user started')
    .action(async (flags) => {
      const { listJobs } = await import('./jobs.command.js');
      await run(() => listJobs(flags), 'jobs list');
    });
  json(endpoint(jobs.command('cancel')))
    .argument('<id>')
    .description('cancel a job (a running one stops at its next checkpoint)')
    .action(async (id: string, flags) => {
      const { cancelJob } = await import('./jobs.command.js');
      await run(() => cancelJob(id, flags), 'jobs cancel');
    });
  endpoint(jobs.command('watch'))
    .argument('<id>')
    .description(
      'follow a job to its end: a progress bar with rate and ETA on a terminal, plain lines otherwise; exit 1 unless it succeeded',
    )
    .action(async (id: string, flags) => {
      const { watchJob } = await import('./jobs.command.js');
      await run((signal) => watchJob(id, flags, signal), 'jobs watch');
    });

  program
    .command('migrate')
    .description('instance to instance without a file: StreamExport piped into StreamImport (run `idport migrate --help` for flags)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[flags...]')
    .action(async (args: string[]) => {
      const { main } = await import('./migrate.js');
      process.exitCode = await main(args);
    });
  return program;
}

export async function runCli(argv: string[] = process.argv): Promise<void> {
  await createProgram().parseAsync(argv);
}
