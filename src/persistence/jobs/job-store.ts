import type { EntityManager } from '@mikro-orm/sql';
import {
  CheckpointRefused,
  type JobProgress,
  type JobRecord,
  JobRequestUnreadable,
  type JobState,
  type JobStep,
  type JobStore,
} from '../../application/jobs/job-ports.js';
import { isDomainError } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/json.js';
import { SecretKeyError } from '../../domain/sealed-secret.js';
import type { Database } from '../orm.js';
import { query } from '../resources/resource-sql.js';
import { transactionOf } from '../resources/resource-store.js';
import type { SecretsAtRest } from '../secrets/at-rest.js';
import { decodeResults, encodeResults } from './step-results.js';

/*
 * Why a job table of our own and not pg-boss or graphile-worker (issue 11 asks for a library
 * where one fits both backends):
 * - The checkpoint must commit in the same transaction as the org's writes, and refuse to when
 *   the job was cancelled or another replica took it over (fencing). pg-boss keeps a job's state
 *   in its own schema through its own pool, so that check and the step's rows would be a second
 *   transaction: a crash between the two re-imports or loses a step. We would still need this
 *   table for checkpoints, progress and the report, with the library as a second copy of the state.
 * - The embedded default is PGlite, one in-process session. Tried pg-boss 12.38 against PGlite
 *   through @electric-sql/pglite-socket 0.2.17 (its multiplexer, maxConnections 10): start, send
 *   and work run, but it needs a TCP listener inside the embedded process beside MikroORM's own
 *   PGlite handle, and the socket package says "not all use cases are guaranteed to work".
 * - Takeover time: pg-boss's heartbeat is at least 10 s and graphile-worker treats a job as
 *   abandoned only after a fixed 4 hours; leases here are configurable (IDPORT_JOB_LEASE).
 * So: `FOR UPDATE SKIP LOCKED` to claim, a lease renewed by a heartbeat, and a row lock on the
 * job at each checkpoint.
 */

interface JobRow {
  id: string;
  kind: JobRecord['kind'];
  state: JobState;
  principal: string;
  source: string;
  target: string;
  request: JsonObject;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  deadline_at: Date | string | null;
  replica: string;
  cancel_requested: boolean;
  steps_done: number;
  progress: JobProgress;
  error: string;
  takeovers: number;
  source_fingerprint: JsonObject | null;
}

const date = (v: Date | string | null) => (v === null ? null : new Date(v));

/**
 * How the stored request is sealed: whole, like a realm's settings (at-rest.ts sealDocument).
 * It holds a GCS service account's JSON or an S3 secret key, and an inline import's
 * `data_orgs` carries password hashes, OTP seeds and IdP client secrets; sealing the document
 * leaves none of them in clear without a list of paths to keep in step with the protos.
 */
export type RequestSeal = Pick<SecretsAtRest, 'sealDocument' | 'openDocument'>;

function toRecord(r: JobRow, seal: RequestSeal): JobRecord {
  return {
    id: r.id,
    kind: r.kind,
    state: r.state,
    principal: r.principal,
    source: r.source,
    target: r.target,
    request: seal.openDocument(r.request),
    createdAt: new Date(r.created_at),
    startedAt: date(r.started_at),
    finishedAt: date(r.finished_at),
    deadlineAt: date(r.deadline_at),
    replica: r.replica,
    cancelRequested: r.cancel_requested,
    stepsDone: r.steps_done,
    progress: r.progress,
    error: r.error,
    takeovers: r.takeovers,
    sourceFingerprint: r.source_fingerprint ?? null,
  };
}

const interval = (ms: number) => `${Math.max(1, Math.round(ms))} milliseconds`;

export function createJobStore(db: Database, seal: RequestSeal): JobStore {
  const record = (r: JobRow) => toRecord(r, seal);
  /** One statement in a transaction of its own (the pool's connection, or PGlite's session). */
  const run = <T>(sql: string, params: unknown[] = []) =>
    db.em().transactional((em) => query<T>(em as unknown as EntityManager, sql, params));

  async function insertStep(em: EntityManager, id: string, step: JobStep) {
    const { results, records } = encodeResults(step.results);
    // A Buffer goes as a binary parameter (pg-protocol's Bind): the records' bytes as they are.
    await query(
      em,
      'insert into job_step (job_id, step, pass, org_id, results, records, state) values ($1, $2, $3, $4, $5::json, $6, $7::jsonb)',
      [id, step.step, step.pass, step.orgId, JSON.stringify(results), records ?? null, JSON.stringify(step.state)],
    );
  }

  return {
    async create(job) {
      const [row] = await run<JobRow>(
        `insert into job (id, kind, state, principal, source, target, request, progress)
         values ($1, $2, 'queued', $3, $4, $5, $6::jsonb, $7::jsonb) returning *`,
        [
          job.id,
          job.kind,
          job.principal,
          job.source,
          job.target,
          JSON.stringify(seal.sealDocument(job.request)),
          JSON.stringify(job.progress),
        ],
      );
      return record(row as JobRow);
    },

    async get(id) {
      const [row] = await run<JobRow>('select * from job where id = $1', [id]);
      return row ? record(row) : undefined;
    },

    async list(filter) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.state) where.push(`state = $${params.push(filter.state)}`);
      if (filter.principal) where.push(`principal = $${params.push(filter.principal)}`);
      if (filter.before) where.push(`(created_at, id) < ($${params.push(filter.before.createdAt)}, $${params.push(filter.before.id)})`);
      const rows = await run<JobRow>(
        `select * from job ${where.length ? `where ${where.join(' and ')}` : ''} order by created_at desc, id desc limit $${params.push(filter.limit)}`,
        params,
      );
      return rows.map(record);
    },

    async requestCancel(id) {
      const [row] = await run<JobRow>(
        `update job set cancel_requested = true,
           state = case when state = 'queued' then 'cancelled' else state end,
           finished_at = case when state = 'queued' then now() else finished_at end
         where id = $1 returning *`,
        [id],
      );
      return row ? record(row) : undefined;
    },

    async claim(owner, leaseMs, deadline) {
      // The request is opened inside the claim's transaction: a replica whose key cannot open
      // it (replicas must share IDPORT_SECRETS_KEY) fails here and leaves the job unclaimed,
      // rather than holding it under a lease it cannot run.
      const job = await db.em().transactional(async (tx) => {
        const [row] = await query<JobRow>(
          tx as unknown as EntityManager,
          `update job set state = 'running', lease_owner = $1, replica = $1, lease_expires_at = now() + $2::interval,
           started_at = coalesce(started_at, now()), takeovers = takeovers + (case when state = 'running' then 1 else 0 end)
         where id = (
           select id from job
           where state = 'queued' or (state = 'running' and lease_expires_at < now())
           order by created_at, id limit 1 for update skip locked
         ) returning *`,
          [owner, interval(leaseMs)],
        );
        if (!row) return undefined;
        try {
          return record(row);
        } catch (e) {
          const cause = e instanceof Error ? e.cause : undefined;
          if (isDomainError(e) && e.id === 'SECRETS-key') {
            throw new JobRequestUnreadable(row.id, cause instanceof SecretKeyError ? cause.keyId : undefined, e);
          }
          throw e;
        }
      });
      if (!job) return undefined;
      if (job.deadlineAt === null) {
        const at = deadline(job);
        if (at) {
          await run('update job set deadline_at = $2 where id = $1', [job.id, at]);
          job.deadlineAt = at;
        }
      }
      return job;
    },

    async renew(id, owner, leaseMs) {
      const [row] = await run<{ cancel_requested: boolean }>(
        `update job set lease_expires_at = now() + $3::interval where id = $1 and lease_owner = $2 and state = 'running' returning cancel_requested`,
        [id, owner, interval(leaseMs)],
      );
      return { held: row !== undefined, cancelRequested: row?.cancel_requested ?? false };
    },

    async checkpoint(writer, id, owner, step, progress) {
      const em = transactionOf(writer);
      const [row] = await query<{ lease_owner: string | null; cancel_requested: boolean; state: JobState }>(
        em,
        'select lease_owner, cancel_requested, state from job where id = $1 for update',
        [id],
      );
      if (!row || row.lease_owner !== owner || row.state !== 'running') throw new CheckpointRefused('lease-lost');
      if (row.cancel_requested) throw new CheckpointRefused('cancelled');
      await insertStep(em, id, step);
      await query(em, 'update job set steps_done = $2, progress = $3::jsonb where id = $1', [id, step.step + 1, JSON.stringify(progress)]);
    },

    async steps(id, fromStep, limit) {
      const rows = await run<{
        step: number;
        pass: number;
        org_id: string;
        results: unknown;
        records: Uint8Array | null;
        state: JsonObject;
      }>('select step, pass, org_id, results, records, state from job_step where job_id = $1 and step >= $2 order by step limit $3', [
        id,
        fromStep,
        limit,
      ]);
      return rows.map((r) => ({
        step: r.step,
        pass: r.pass,
        orgId: r.org_id,
        results: decodeResults(r.results, r.records),
        state: r.state,
      }));
    },

    async countByState() {
      const rows = await run<{ state: JobState; n: string }>('select state, count(*)::text as n from job group by state');
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
    },

    async recordSource(id, owner, fingerprint) {
      await run('update job set source_fingerprint = $3::jsonb where id = $1 and lease_owner = $2', [
        id,
        owner,
        JSON.stringify(fingerprint),
      ]);
    },

    async saveProgress(id, owner, progress) {
      await run('update job set progress = $3::jsonb where id = $1 and lease_owner = $2', [id, owner, JSON.stringify(progress)]);
    },

    async finish(id, owner, end) {
      return db.em().transactional(async (tx) => {
        const em = tx as unknown as EntityManager;
        const [row] = await query<{ lease_owner: string | null; state: JobState }>(
          em,
          'select lease_owner, state from job where id = $1 for update',
          [id],
        );
        if (!row || row.lease_owner !== owner || row.state !== 'running') return false;
        if (end.tail) await insertStep(em, id, end.tail);
        await query(
          em,
          `update job set state = $2, error = $3, progress = $4::jsonb, finished_at = now(), lease_owner = null, lease_expires_at = null
           where id = $1`,
          [id, end.state, end.error, JSON.stringify(end.progress)],
        );
        return true;
      });
    },
  };
}
