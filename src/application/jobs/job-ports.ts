import { DomainError } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/json.js';
import type { ItemResult, Outcome, PackedOutcomes } from '../import/import-report.js';
import type { ResourceWriter } from '../ports.js';

/**
 * The ports of migration jobs and the audit trail. Kept beside the jobs rather than in
 * ports.ts (already near its size bound); persistence/jobs implements them, compose.ts wires them.
 */

export type JobKind = 'import' | 'export';
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const ENDED: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export type OutcomeCounts = Record<Outcome, number>;

export interface JobProgress {
  orgsDone: number;
  orgsTotal: number;
  pass: number;
  /** resource type → counts per outcome */
  resources: Record<string, OutcomeCounts>;
  rowsPerSecond: number;
  bytes: number;
  etaSeconds: number;
}

export interface JobRecord {
  id: string;
  kind: JobKind;
  state: JobState;
  principal: string;
  source: string;
  target: string;
  /** The request as the caller sent it (credentials too): only the runner reads it. */
  request: JsonObject;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  deadlineAt: Date | null;
  replica: string;
  cancelRequested: boolean;
  stepsDone: number;
  progress: JobProgress;
  error: string;
  takeovers: number;
  /** An import's file as it was when the job first started; null until then and for inline data. */
  sourceFingerprint: JsonObject | null;
}

export interface NewJob {
  id: string;
  kind: JobKind;
  principal: string;
  source: string;
  target: string;
  request: JsonObject;
  progress: JobProgress;
}

/** One committed org pass: its report rows and the importer state a resumed run needs. */
export interface JobStep {
  step: number;
  pass: number;
  orgId: string;
  /** A pass's outcomes as it packed them (stored and read back packed), or rows one by one. */
  results: readonly ItemResult[] | PackedOutcomes;
  state: JsonObject;
}

/** Why a checkpoint refused to commit: the org's writes roll back with it. */
export class CheckpointRefused extends Error {
  constructor(readonly reason: 'cancelled' | 'lease-lost') {
    super(reason === 'cancelled' ? 'the job was cancelled' : 'another replica holds the job');
  }
}

/**
 * A queued job whose sealed request this replica's keys cannot open (its replicas do not share
 * IDPORT_SECRETS_KEY): the claim rolls back and leaves the job for a replica that can. Names the
 * job and the key id the request needs (a digest of the key, never the key).
 */
export class JobRequestUnreadable extends DomainError {
  constructor(
    readonly jobId: string,
    /** The key id the request was sealed under, when it could be read. */
    readonly keyId: string | undefined,
    cause: unknown,
  ) {
    super('Internal', 'SECRETS-key', `job ${jobId}: its request is sealed with key ${keyId ?? '(unreadable)'}, which this replica lacks`, {
      cause,
    });
  }
}

export interface JobStore {
  create(job: NewJob): Promise<JobRecord>;
  get(id: string): Promise<JobRecord | undefined>;
  list(filter: { state?: JobState; principal?: string; before?: { createdAt: Date; id: string }; limit: number }): Promise<JobRecord[]>;
  /** Marks a job for cancelling; a queued one ends at once. Answers the job as it is now. */
  requestCancel(id: string): Promise<JobRecord | undefined>;
  /**
   * Takes the oldest queued job, or a running one whose lease expired (its replica died), with
   * `FOR UPDATE SKIP LOCKED`: two replicas never take the same job.
   */
  claim(owner: string, leaseMs: number, deadline: (job: JobRecord) => Date | null): Promise<JobRecord | undefined>;
  /** Extends the lease; false when the job is no longer ours. Also answers a cancel request. */
  renew(id: string, owner: string, leaseMs: number): Promise<{ held: boolean; cancelRequested: boolean }>;
  /**
   * Inside the transaction that wrote the step's data (`writer`): locks the job row, refuses
   * when it was cancelled or taken over, then stores the step and the progress.
   */
  checkpoint(writer: ResourceWriter, id: string, owner: string, step: JobStep, progress: JobProgress): Promise<void>;
  /** Steps committed so far, in order (a resumed run replays them; the report streams them). */
  steps(id: string, fromStep: number, limit: number): Promise<JobStep[]>;
  /** Keeps the import file's fingerprint on the job, while `owner` holds it (source-check.ts). */
  recordSource(id: string, owner: string, fingerprint: JsonObject): Promise<void>;
  /** Saves progress outside a checkpoint (an export, the read-ahead of an import). */
  saveProgress(id: string, owner: string, progress: JobProgress): Promise<void>;
  /** How many jobs are in each state (for /metrics). */
  countByState(): Promise<Partial<Record<JobState, number>>>;
  /** Ends the job if `owner` still holds it; `tail` = report rows after the last step. */
  finish(id: string, owner: string, end: { state: JobState; error: string; progress: JobProgress; tail?: JobStep }): Promise<boolean>;
}

export type AuditOutcome = Outcome | 'done';

export interface AuditEntry {
  principal: string;
  jobId?: string;
  source?: string;
  kind: string;
  orgId?: string;
  resourceId?: string;
  outcome: AuditOutcome;
  digestBefore?: string;
  digestAfter?: string;
  detail?: string;
}

/** The most events one AuditRun carries: the store keeps each run as one row (persistence/jobs/audit-store.ts). */
export const AUDIT_RUN_MAX = 4096;

/**
 * Events that share everything but their resource, digests and detail, side by side (an import
 * pass's successes of one kind and outcome), at most AUDIT_RUN_MAX: handed over as they are
 * stored, without an AuditEntry per event.
 */
export interface AuditRun {
  head: Omit<AuditEntry, 'resourceId' | 'digestBefore' | 'digestAfter' | 'detail'>;
  resourceIds: string[];
  /** Per event: sha256 hex, or '' for none (as in AuditEntry). */
  digestsBefore: string[];
  digestsAfter: string[];
  /** Per event, when any has one. */
  details?: string[];
}

export interface AuditRecord extends Required<AuditEntry> {
  id: string;
  time: Date;
}

export interface AuditFilter {
  from?: Date;
  to?: Date;
  principal?: string;
  jobId?: string;
  kind?: string;
  resourceId?: string;
  afterId?: string;
  limit: number;
}

/** The append-only audit trail. */
export interface AuditStore {
  /**
   * In the transaction of the change it records (`writer`'s), or its own when none. Entries are
   * read once, in order, as they are written: a generator need not hold them all.
   */
  append(entries: Iterable<AuditEntry | AuditRun>, writer?: ResourceWriter): Promise<void>;
  list(filter: AuditFilter): Promise<AuditRecord[]>;
  /** Removes events older than `before` (the retention setting); answers how many. */
  prune(before: Date): Promise<number>;
}
