import { create, toJson } from '@bufbuild/protobuf';
import { type Timestamp, timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import {
  AuditOutcome,
  type Job,
  JobKind,
  JobSchema,
  type JobService,
  JobState,
  StartExportRequestSchema,
  StartImportRequestSchema,
} from '../../../gen/idport/v1/jobs_pb.js';
import type { ItemResult } from '../../application/import/import-report.js';
import { createReportCollector } from '../../application/import/report-collector.js';
import type { JobCommands } from '../../application/jobs/job-commands.js';
import type { AuditRecord, JobRecord, JobState as State } from '../../application/jobs/job-ports.js';
import { DomainError } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/json.js';
import { importResponse } from '../admin/import-response.js';
import { principalOf } from '../interceptors/auth.interceptor.js';
import { countsMessage, OUTCOME } from './migration.handler.js';

const STATE: Record<State, JobState> = {
  queued: JobState.QUEUED,
  running: JobState.RUNNING,
  succeeded: JobState.SUCCEEDED,
  failed: JobState.FAILED,
  cancelled: JobState.CANCELLED,
};
const STATE_OF = new Map(Object.entries(STATE).map(([k, v]) => [v, k as State]));

const AUDIT_OUTCOME: Record<AuditRecord['outcome'], AuditOutcome> = {
  created: AuditOutcome.CREATED,
  unchanged: AuditOutcome.UNCHANGED,
  updated: AuditOutcome.UPDATED,
  skipped: AuditOutcome.SKIPPED,
  failed: AuditOutcome.FAILED,
  done: AuditOutcome.DONE,
};

const stamp = (d: Date | null) => (d ? timestampFromDate(d) : undefined);

export function jobMessage(j: JobRecord): Job {
  const p = j.progress;
  return create(JobSchema, {
    id: j.id,
    kind: j.kind === 'import' ? JobKind.IMPORT : JobKind.EXPORT,
    state: STATE[j.state],
    principal: j.principal,
    source: j.source,
    target: j.target,
    createdAt: timestampFromDate(j.createdAt),
    ...(j.startedAt ? { startedAt: stamp(j.startedAt) } : {}),
    ...(j.finishedAt ? { finishedAt: stamp(j.finishedAt) } : {}),
    replica: j.replica,
    progress: {
      orgsDone: p.orgsDone,
      orgsTotal: p.orgsTotal,
      pass: p.pass,
      resources: Object.entries(p.resources)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([type, c]) => ({
          type,
          counts: {
            created: BigInt(c.created),
            unchanged: BigInt(c.unchanged),
            updated: BigInt(c.updated),
            skipped: BigInt(c.skipped),
            failed: BigInt(c.failed),
          },
        })),
      rowsPerSecond: p.rowsPerSecond,
      bytes: BigInt(p.bytes),
      etaSeconds: BigInt(p.etaSeconds),
    },
    error: j.error,
    takeovers: j.takeovers,
  });
}

const resultMessage = (r: ItemResult) => ({
  orgId: r.orgId,
  type: r.type,
  id: r.id,
  outcome: OUTCOME[r.outcome],
  message: r.message ?? '',
});

function auditFilter(req: {
  from?: Timestamp | undefined;
  to?: Timestamp | undefined;
  principal: string;
  jobId: string;
  kind: string;
  resourceId: string;
}) {
  return {
    ...(req.from ? { from: timestampDate(req.from) } : {}),
    ...(req.to ? { to: timestampDate(req.to) } : {}),
    principal: req.principal,
    jobId: req.jobId,
    kind: req.kind,
    resourceId: req.resourceId,
  };
}

const auditMessage = (e: AuditRecord) => ({
  id: e.id,
  time: timestampFromDate(e.time),
  principal: e.principal,
  jobId: e.jobId,
  source: e.source,
  kind: e.kind,
  orgId: e.orgId,
  resourceId: e.resourceId,
  outcome: AUDIT_OUTCOME[e.outcome],
  digestBefore: e.digestBefore,
  digestAfter: e.digestAfter,
  detail: e.detail,
});

function callerOf(ctx: HandlerContext): string {
  const p = principalOf(ctx);
  if (!p) throw new DomainError('Unauthenticated', 'JOB-no-principal', 'a job needs a caller');
  return p.userId;
}

export interface JobPlanners {
  planImport(request: JsonObject): { describe: string };
  planExport(request: JsonObject): { describe: string };
}

export function createJobHandlers(jobs: JobCommands, planners: JobPlanners): ServiceImpl<typeof JobService> {
  return {
    async startImport(req, ctx) {
      const request = toJson(StartImportRequestSchema, req) as JsonObject;
      // Refused now (bad input, missing path) rather than failing later in the queue.
      const plan = planners.planImport(request);
      const job = await jobs.start({ kind: 'import', principal: callerOf(ctx), source: plan.describe, target: 'database', request });
      return { job: jobMessage(job) };
    },

    async startExport(req, ctx) {
      const request = toJson(StartExportRequestSchema, req) as JsonObject;
      const plan = planners.planExport(request);
      const job = await jobs.start({ kind: 'export', principal: callerOf(ctx), source: 'database', target: plan.describe, request });
      return { job: jobMessage(job) };
    },

    async getJob(req) {
      return { job: jobMessage(await jobs.get(req.jobId)) };
    },

    async listJobs(req) {
      const state = STATE_OF.get(req.state);
      const page = await jobs.list({
        ...(state ? { state } : {}),
        principal: req.principal,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { jobs: page.jobs.map(jobMessage), nextPageToken: page.nextPageToken };
    },

    async cancelJob(req) {
      return { job: jobMessage(await jobs.cancel(req.jobId)) };
    },

    async *getJobReport(req) {
      // The ZITADEL-shaped summary at the end is built from the same packed collector the
      // synchronous import answers from, so both say the same.
      const all = createReportCollector();
      let dryRun = false;
      for await (const chunk of jobs.report(req.jobId)) {
        if (chunk.job) dryRun = (chunk.job.request.options as { dryRun?: boolean } | undefined)?.dryRun === true;
        for (const r of chunk.results) all.add(r);
        const report = chunk.last ? all.report(dryRun) : undefined;
        yield {
          ...(chunk.job ? { job: jobMessage(chunk.job) } : {}),
          results: chunk.results.map(resultMessage),
          ...(report ? { response: importResponse(report), counts: countsMessage(report.counts) } : {}),
        };
      }
    },

    async *watchJob(req, ctx) {
      for await (const job of jobs.watch(req.jobId, ctx.signal)) yield { job: jobMessage(job) };
    },

    async listAuditEvents(req) {
      const page = await jobs.audit({ ...auditFilter(req), pageSize: req.pageSize, pageToken: req.pageToken });
      return { events: page.events.map(auditMessage), nextPageToken: page.nextPageToken };
    },

    async *exportAuditEvents(req) {
      for await (const e of jobs.exportAudit(auditFilter(req))) yield { event: auditMessage(e) };
    },
  };
}
