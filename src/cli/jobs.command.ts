import { readFile } from 'node:fs/promises';
import { fromJson, type JsonObject, toJson } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { type Job, JobSchema, JobService, JobState } from '../../gen/idport/v1/jobs_pb.js';
import { ConflictPolicy } from '../../gen/idport/v1/migration_pb.js';
import { ImportDataRequestSchema } from '../../gen/zitadel/admin_pb.js';
import { CommandError, type EndpointFlags, type ExitCode, readToken } from './endpoint-options.js';
import { type ExportFilterFlags, exportFilters } from './export.command.js';
import { GrpcClient, GrpcError } from './grpc-client.js';
import { liveBar, type ProgressStream } from './progress.js';

/**
 * `idport jobs …`: start, watch, list and cancel migration jobs on a running instance
 * (idport.v1.JobService over gRPC). `watch` shows a live bar with rate and ETA on a terminal
 * (cli-progress) and one plain line per change otherwise; it ends with the job, exit code 0
 * when it succeeded, 1 when it failed or was cancelled.
 */

const STATE_NAME: Record<JobState, string> = {
  [JobState.UNSPECIFIED]: 'unknown',
  [JobState.QUEUED]: 'queued',
  [JobState.RUNNING]: 'running',
  [JobState.SUCCEEDED]: 'succeeded',
  [JobState.FAILED]: 'failed',
  [JobState.CANCELLED]: 'cancelled',
};
const ENDED = new Set([JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED]);
const POLICY = { fail: ConflictPolicy.FAIL, skip: ConflictPolicy.SKIP, overwrite: ConflictPolicy.OVERWRITE } as const;

const client = async (flags: EndpointFlags) => new GrpcClient(JobService, flags.url, await readToken(flags));

async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof GrpcError) throw new CommandError(e.message);
    throw e;
  }
}

/** One line for a job: id, state, progress, where it runs. */
export function jobLine(job: Job): string {
  const p = job.progress;
  const orgs = p ? `orgs ${p.orgsDone}/${p.orgsTotal || '?'} pass ${p.pass}` : '';
  const rows = p
    ? p.resources.reduce(
        (n, r) =>
          n +
          Number(
            (r.counts?.created ?? 0n) +
              (r.counts?.unchanged ?? 0n) +
              (r.counts?.updated ?? 0n) +
              (r.counts?.skipped ?? 0n) +
              (r.counts?.failed ?? 0n),
          ),
        0,
      )
    : 0;
  const rate = p?.rowsPerSecond ? ` ${p.rowsPerSecond} rows/s` : '';
  const eta = p?.etaSeconds ? ` eta ${p.etaSeconds}s` : '';
  const error = job.error ? ` error: ${job.error}` : '';
  return `${job.id} ${STATE_NAME[job.state]} ${orgs} rows ${rows}${rate}${eta}${job.replica ? ` on ${job.replica}` : ''}${error}`;
}

const print = (job: Job, json: boolean) => console.log(json ? JSON.stringify(toJson(JobSchema, job)) : jobLine(job));

export interface StartImportFlags extends EndpointFlags {
  conflictPolicy?: keyof typeof POLICY;
  dryRun?: boolean;
  timeout?: string;
  local?: string;
  json?: boolean;
}

/** `jobs import [FILE]`: FILE's orgs inline (small files), or --local PATH read by the server from its import dir. */
export async function startImport(file: string | undefined, flags: StartImportFlags): Promise<ExitCode> {
  let data: JsonObject;
  if (flags.local) data = { dataOrgsLocal: { path: flags.local } };
  else if (file) data = { dataOrgs: await readOrgs(file) };
  else throw new CommandError("name a file, or --local PATH for a file in the server's import directory");
  const request = fromJson(ImportDataRequestSchema, { timeout: flags.timeout ?? '', ...data }, { ignoreUnknownFields: true });
  const c = await client(flags);
  const res = await call(() =>
    c.unary(JobService.method.startImport, {
      request,
      options: { conflictPolicy: POLICY[flags.conflictPolicy ?? 'fail'], dryRun: flags.dryRun ?? false },
    }),
  );
  if (res.job) print(res.job, flags.json ?? false);
  return 0;
}

/** An ExportData file ({"orgs":[…]}), sent inline: for files within the server's request limit. */
async function readOrgs(file: string): Promise<JsonObject> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CommandError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text) as JsonObject;
  } catch {
    throw new CommandError(`${file} is not JSON`);
  }
}

export interface StartExportFlags extends EndpointFlags, ExportFilterFlags {
  local: string;
  json?: boolean;
}

export async function startExport(flags: StartExportFlags): Promise<ExitCode> {
  const c = await client(flags);
  const res = await call(() =>
    c.unary(JobService.method.startExport, {
      request: { ...exportFilters(flags), localOutput: { path: flags.local } },
    }),
  );
  if (res.job) print(res.job, flags.json ?? false);
  return 0;
}

export async function getJob(id: string, flags: EndpointFlags & { json?: boolean }): Promise<ExitCode> {
  const c = await client(flags);
  const res = await call(() => c.unary(JobService.method.getJob, { jobId: id }));
  if (res.job) print(res.job, flags.json ?? false);
  return 0;
}

export async function listJobs(flags: EndpointFlags & { state?: string; principal?: string; json?: boolean }): Promise<ExitCode> {
  const c = await client(flags);
  const state = flags.state
    ? (Number(Object.entries(STATE_NAME).find(([, n]) => n === flags.state)?.[0]) as JobState)
    : JobState.UNSPECIFIED;
  let pageToken = '';
  do {
    const res = await call(() =>
      c.unary(JobService.method.listJobs, { state, principal: flags.principal ?? '', pageSize: 100, pageToken }),
    );
    for (const job of res.jobs) print(job, flags.json ?? false);
    pageToken = res.nextPageToken;
  } while (pageToken);
  return 0;
}

export async function cancelJob(id: string, flags: EndpointFlags & { json?: boolean }): Promise<ExitCode> {
  const c = await client(flags);
  const res = await call(() => c.unary(JobService.method.cancelJob, { jobId: id }));
  if (res.job) print(res.job, flags.json ?? false);
  return 0;
}

/** Follows the job to its end: a bar on a terminal, one line per change otherwise. */
export async function watchJob(
  id: string,
  flags: EndpointFlags,
  signal: AbortSignal,
  stream: ProgressStream = process.stderr,
): Promise<ExitCode> {
  const c = await client(flags);
  const bar = liveBar(stream, '{state} [{bar}] {value}/{total} org passes | {rate} rows/s | eta {eta_formatted}');
  let last: Job | undefined;
  try {
    for await (const m of c.serverStream(JobService.method.watchJob, { jobId: id }, { signal })) {
      const job = m.job;
      if (!job) continue;
      last = job;
      const p = job.progress;
      if (bar && p) {
        const total = p.orgsTotal * 3;
        const done = p.pass > 0 ? Math.min((p.pass - 1) * p.orgsTotal + p.orgsDone, total) : 0;
        bar.update(done, total || undefined, { state: STATE_NAME[job.state], rate: p.rowsPerSecond });
      } else if (!bar) {
        stream.write(`${new Date().toISOString()} ${jobLine(job)}\n`);
      }
      if (ENDED.has(job.state)) break;
    }
  } catch (e) {
    bar?.stop();
    if (e instanceof GrpcError) throw new CommandError(e.message);
    throw e;
  }
  bar?.stop();
  if (!last) throw new CommandError(`job ${id}: no answer`);
  const finished = last.finishedAt ? ` at ${timestampDate(last.finishedAt).toISOString()}` : '';
  console.log(`${jobLine(last)}${finished}`);
  return last.state === JobState.SUCCEEDED ? 0 : 1;
}
