import { createHash } from 'node:crypto';
import { failedPrecondition } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/json.js';
import type { BlobStorage, BlobTarget } from '../ports.js';
import { describeTarget } from './audited-acts.js';
import type { JobStore } from './job-ports.js';

/*
 * A resumed import job (takeover or restart) reads its file again from the start and skips the
 * org passes already committed, by their position. That is only right if the file has not
 * changed: a rewritten export would shift or alter orgs, and the job would mix two files. So the
 * first run keeps the file's fingerprint on the job (BlobStorage.describe: local size, mtime and
 * inode; GCS generation and md5Hash; S3 ETag and size), and every later run compares it before
 * reading anything. A local file's metadata can stay the same across a rewrite (an editor that
 * restores mtime, a copy with `cp -p`), so its sha256 is also kept, hashed as the first run reads
 * it; a resumed run hashes the file once more before it starts, which costs one extra read of a
 * local disk, and only on a resume.
 */

const HASH = 'sha256';

function changed(was: JsonObject, now: JsonObject): string | undefined {
  for (const [field, value] of Object.entries(was)) {
    if (field === HASH) continue;
    if (now[field] !== value) return `${field} was ${String(value)}, now ${String(now[field] ?? '(none)')}`;
  }
  return undefined;
}

const sourceChanged = (target: BlobTarget, how: string) =>
  failedPrecondition(
    'JOB-source-changed',
    `JOB-source-changed: ${describeTarget(target)} changed since the job started (${how}); nothing more was written. ` +
      'The orgs committed so far stay; start a new job to import the file as it is now',
  );

async function sha256Of(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of chunks) hash.update(c);
  return hash.digest('hex');
}

/**
 * Before an import job reads `target`: the first run records its fingerprint; a later run
 * refuses (FailedPrecondition JOB-source-changed) a file that is not the one the job started
 * on. Answers the blobs the import reads through: on a first run of a local file, they hash
 * its bytes as they are read and keep the digest on the job once the whole file went by.
 */
export async function checkSource(
  deps: { blobs: BlobStorage; jobs: Pick<JobStore, 'recordSource'> },
  run: { jobId: string; owner: string; recorded: JsonObject | null; target: BlobTarget; signal: AbortSignal },
): Promise<BlobStorage> {
  const now: JsonObject = { ...(await deps.blobs.describe(run.target, run.signal)) };
  const recorded = run.recorded;
  if (recorded) {
    const how = changed(recorded, now);
    if (how) throw sourceChanged(run.target, how);
    const was = recorded[HASH];
    if (typeof was === 'string' && run.target.kind === 'local') {
      const is = await sha256Of(deps.blobs.read(run.target, run.signal));
      if (is !== was) throw sourceChanged(run.target, `its ${HASH} differs`);
    }
    return deps.blobs;
  }
  await deps.jobs.recordSource(run.jobId, run.owner, now);
  if (run.target.kind !== 'local') return deps.blobs;
  let hashed = false;
  return {
    ...deps.blobs,
    read(target, signal) {
      const chunks = deps.blobs.read(target, signal);
      if (hashed || target.kind !== 'local' || target.path !== run.target.path) return chunks;
      hashed = true;
      return (async function* () {
        const hash = createHash('sha256');
        for await (const c of chunks) {
          hash.update(c);
          yield c;
        }
        await deps.jobs.recordSource(run.jobId, run.owner, { ...now, [HASH]: hash.digest('hex') });
      })();
    },
  };
}
