import { defineEntity, p } from '@mikro-orm/core';
import type { JsonObject } from '../../domain/json.js';
import { createdAt } from './columns.js';

/**
 * A migration job and its lease. Claimed with `FOR UPDATE SKIP LOCKED` and held by renewing
 * `lease_expires_at` (src/persistence/jobs/job-store.ts explains why not pg-boss).
 * `request` holds the caller's request, credentials of a GCS or S3 source included, so that any
 * replica can resume it: sealed whole as `{"sealed": "enc:…"}` (job-store.ts), and the API never
 * shows it.
 */
export const JobSchema = defineEntity({
  name: 'Job',
  tableName: 'job',
  properties: {
    id: p.string().length(36).primary(),
    kind: p.string().length(16),
    state: p.string().length(16),
    principal: p.string().length(64),
    source: p.text(),
    target: p.text(),
    request: p.json<JsonObject>().columnType('jsonb'),
    createdAt: createdAt(),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
    /** When the job's own timeout ends it, counted from its first start. */
    deadlineAt: p.datetime().nullable(),
    leaseOwner: p.string().length(128).nullable(),
    leaseExpiresAt: p.datetime().nullable(),
    replica: p.string().length(128).default(''),
    cancelRequested: p.boolean().default(false),
    /** Org passes committed (the checkpoint): a resumed run replays these from job_step. */
    stepsDone: p.integer().default(0),
    progress: p.json<JsonObject>().columnType('jsonb'),
    error: p.text().default(''),
    takeovers: p.integer().default(0),
    /** An import's file as it was when the job started (BlobStorage.describe): a resumed run refuses a changed one. */
    sourceFingerprint: p.json<JsonObject>().columnType('jsonb').nullable(),
  },
  indexes: [
    { name: 'job_claim', properties: ['state', 'createdAt'] },
    { name: 'job_principal', properties: ['principal', 'createdAt'] },
  ],
});
export class Job extends JobSchema.class {}
JobSchema.setClass(Job);

/** One committed org pass of an import job: its report rows and what it made present. */
export const JobStepSchema = defineEntity({
  name: 'JobStep',
  tableName: 'job_step',
  properties: {
    job: () => p.manyToOne(Job).deleteRule('cascade').fieldName('job_id').primary(),
    step: p.integer().primary(),
    pass: p.integer(),
    orgId: p.string().length(64),
    /** ImportResult rows, in report order (step-results.ts); json, as it is only read back whole. */
    results: p.json<JsonObject>().columnType('json'),
    /** The records of the results' packed runs, side by side (step-results.ts v4). */
    records: p.blob().nullable(),
    /** The importer's state after the step (refs it made present, whether the org is new). */
    state: p.json<JsonObject>().columnType('jsonb'),
  },
});
export class JobStep extends JobStepSchema.class {}
JobStepSchema.setClass(JobStep);

/**
 * The audit trail, as runs of events (persistence/jobs/audit-store.ts explains the layout):
 * append only. A trigger refuses UPDATE and DELETE, except the retention prune, which sets
 * `idport.audit_prune` for its own transaction (see the migration).
 */
export const AuditEventSchema = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_event',
  properties: {
    id: p.bigint().primary().autoincrement(),
    time: createdAt(),
    principal: p.string().length(64),
    jobId: p.string().length(36).default(''),
    source: p.text().default(''),
    kind: p.string().length(64),
    orgId: p.string().length(64).default(''),
    outcome: p.string().length(16),
    resourceIds: p.array().columnType('text[]'),
    digestsBefore: p.blob().nullable(),
    digestsAfter: p.blob().nullable(),
    details: p.array().columnType('text[]').nullable(),
  },
  indexes: [
    // BRIN: events are appended in time order (Migration20261203140000).
    { name: 'audit_event_time', expression: 'create index "audit_event_time" on "audit_event" using brin ("time")' },
    { name: 'audit_event_job', properties: ['jobId', 'id'] },
    // No index on resource ids: persistence/jobs/audit-store.ts says why.
  ],
});
export class AuditEvent extends AuditEventSchema.class {}
AuditEventSchema.setClass(AuditEvent);
