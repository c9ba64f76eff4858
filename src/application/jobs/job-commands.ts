import { randomUUID } from 'node:crypto';
import { DomainError, invalidArgument } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/json.js';
import type { ItemResult } from '../import/import-report.js';
import {
  type AuditFilter,
  type AuditRecord,
  type AuditStore,
  ENDED,
  type JobKind,
  type JobRecord,
  type JobState,
  type JobStore,
} from './job-ports.js';
import { emptyProgress } from './job-progress.js';

export interface StartJob {
  kind: JobKind;
  principal: string;
  /** Where from / where to, without credentials. */
  source: string;
  target: string;
  request: JsonObject;
}

const MAX_PAGE = 1000;
const pageSize = (n: number) => (n <= 0 ? 100 : Math.min(n, MAX_PAGE));

/** Page tokens are opaque to callers: base64url of the last row's sort key. */
const token = (parts: string[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
function untoken(t: string, field: string): string[] {
  try {
    const parts = JSON.parse(Buffer.from(t, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parts) && parts.every((p) => typeof p === 'string')) return parts;
  } catch {
    // falls through
  }
  throw invalidArgument('JOB-page-token', `${field} is not a token this server gave out`);
}

/** Report rows per streamed chunk. */
const CHUNK_ROWS = 1000;

/** Starting, reading, cancelling and watching jobs; reading the audit trail. */
export function createJobCommands(deps: {
  jobs: JobStore;
  audit: AuditStore;
  /** A job was queued: the local runner may start it at once. */
  queued(): void;
  /** How often WatchJob looks at the job (it may run on another replica). */
  watchMs: number;
}) {
  async function found(id: string): Promise<JobRecord> {
    const job = id ? await deps.jobs.get(id) : undefined;
    if (!job) throw new DomainError('NotFound', 'JOB-not-found', `job ${id} not found`);
    return job;
  }

  return {
    async start(cmd: StartJob): Promise<JobRecord> {
      const job = await deps.jobs.create({ id: randomUUID(), ...cmd, progress: emptyProgress() });
      deps.queued();
      return job;
    },

    get: found,

    async list(q: { state?: JobState; principal?: string; pageSize: number; pageToken: string }) {
      const limit = pageSize(q.pageSize);
      const before = q.pageToken ? untoken(q.pageToken, 'page_token') : undefined;
      const jobs = await deps.jobs.list({
        ...(q.state ? { state: q.state } : {}),
        ...(q.principal ? { principal: q.principal } : {}),
        ...(before ? { before: { createdAt: new Date(before[0] ?? ''), id: before[1] ?? '' } } : {}),
        limit: limit + 1,
      });
      const more = jobs.length > limit;
      const page = jobs.slice(0, limit);
      const last = page.at(-1);
      return { jobs: page, nextPageToken: more && last ? token([last.createdAt.toISOString(), last.id]) : '' };
    },

    async cancel(id: string): Promise<JobRecord> {
      const job = await found(id);
      if (ENDED.includes(job.state)) {
        throw new DomainError('FailedPrecondition', 'JOB-ended', `job ${id} has ended (${job.state}); there is nothing to cancel`);
      }
      return (await deps.jobs.requestCancel(id)) ?? job;
    },

    /** The job now, then whenever it changes, until it has ended. */
    async *watch(id: string, signal: AbortSignal): AsyncGenerator<JobRecord> {
      let last = '';
      for (;;) {
        const job = await found(id);
        const seen = JSON.stringify([job.state, job.progress, job.replica, job.error]);
        if (seen !== last) {
          last = seen;
          yield job;
        }
        if (ENDED.includes(job.state)) return;
        // The wait's abort listener goes when the wait ends either way: a watch looks every
        // watchMs for as long as the job runs, and listeners left behind would pile up on the
        // call's signal (Node warns at 11: MaxListenersExceededWarning).
        await new Promise<void>((resolve, reject) => {
          if (signal.aborted) return reject(signal.reason);
          const stop = () => {
            clearTimeout(t);
            reject(signal.reason);
          };
          const t = setTimeout(() => {
            signal.removeEventListener('abort', stop);
            resolve();
          }, deps.watchMs);
          signal.addEventListener('abort', stop, { once: true });
        });
      }
    },

    /** The stored report in chunks of rows; `done` is set on the last chunk, with every row seen. */
    async *report(id: string): AsyncGenerator<{ job?: JobRecord; results: ItemResult[]; last: boolean }> {
      const job = await found(id);
      let from = 0;
      let first = true;
      let chunk: ItemResult[] = [];
      for (;;) {
        const steps = await deps.jobs.steps(id, from, 100);
        for (const s of steps) {
          for (const r of s.results) chunk.push(r);
          if (chunk.length >= CHUNK_ROWS) {
            yield { ...(first ? { job } : {}), results: chunk, last: false };
            first = false;
            chunk = [];
          }
          from = s.step + 1;
        }
        if (steps.length < 100) break;
      }
      yield { ...(first ? { job } : {}), results: chunk, last: true };
    },

    async audit(f: Omit<AuditFilter, 'limit' | 'afterId'> & { pageSize: number; pageToken: string }) {
      const limit = pageSize(f.pageSize);
      const { pageSize: _s, pageToken, ...filter } = f;
      const after = pageToken ? untoken(pageToken, 'page_token')[0] : undefined;
      const events = await deps.audit.list({ ...filter, ...(after ? { afterId: after } : {}), limit: limit + 1 });
      const page = events.slice(0, limit);
      const last = page.at(-1);
      return { events: page, nextPageToken: events.length > limit && last ? token([last.id]) : '' };
    },

    /** Every selected event, oldest first, read a page at a time. */
    async *exportAudit(f: Omit<AuditFilter, 'limit' | 'afterId'>): AsyncGenerator<AuditRecord> {
      let afterId: string | undefined;
      for (;;) {
        const events = await deps.audit.list({ ...f, ...(afterId ? { afterId } : {}), limit: MAX_PAGE });
        yield* events;
        if (events.length < MAX_PAGE) return;
        afterId = events.at(-1)?.id;
      }
    },
  };
}

export type JobCommands = ReturnType<typeof createJobCommands>;
