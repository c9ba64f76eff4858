import { type JsonObject, stringAt } from '../../domain/json.js';
import { createImportEngine, type ImportCommand, type ImportDeps, type ImportSource } from '../import/import-data.js';
import type { ItemResult, PackedOutcomes } from '../import/import-report.js';
import type { PassOutcome } from '../import/import-run.js';
import { PackedResults } from '../import/packed-results.js';
import { laterPassesOf, orgIdProblem, type Pass } from '../import/plan.js';
import { passRefsFromJson, passRefsToJson } from '../import/references.js';
import type { ImportFileCodec, ImportReportSink, ResourceTransactions } from '../ports.js';
import { type Digests, watchWriter } from './job-digests.js';
import { AUDIT_RUN_MAX, type AuditEntry, type AuditRun, type AuditStore, type JobStep, type JobStore } from './job-ports.js';
import type { ProgressMeter } from './job-progress.js';
import { checkSource } from './source-check.js';

/*
 * The one place jobs call the importer (src/application/import). It runs the import engine
 * with its own report sink, and wraps the engine's ports:
 * - ResourceTransactions.write: each call is one org pass (pass 1 for every org as the input
 *   is read, then passes 2 and 3); inside its transaction, after its writes, the step's report
 *   rows, the audit events and the checkpoint are written, so they commit or roll back together.
 *   A step a previous run committed is not run again: its stored outcome is handed back.
 * - ResourceWriter.findExisting/insert/replace: the content before and after, for digests.
 * This relies on the outcome an org pass returns (import-run.ts PassOutcome: orgId, pass,
 * results, provides, fresh, deferred), checked at run time; the deferred ordinals are stored in
 * the checkpoint, so a resumed run schedules the later passes as the first run did; the sink tells a pass's outcomes (which arrive as the
 * pass commits) from those no pass holds (unreadable orgs).
 */

function asPassOutcome(value: unknown): PassOutcome {
  const o = value as Partial<PassOutcome> | undefined;
  if (
    !o ||
    typeof o.orgId !== 'string' ||
    ![1, 2, 3].includes(o.pass as number) ||
    !(o.results instanceof PackedResults) ||
    !(o.provides?.states instanceof Map) ||
    typeof o.fresh !== 'boolean' ||
    typeof o.deferred !== 'object'
  ) {
    throw new Error('run-import: the importer no longer returns an org pass outcome; re-wire jobs to its report sink');
  }
  return o as PassOutcome;
}

export interface ImportJobRun {
  jobId: string;
  owner: string;
  principal: string;
  source: string;
  /**
   * How many steps a previous run committed: each is read back from the store when its turn
   * comes, so a resumed run never holds every committed pass's report rows at once.
   */
  replayed: number;
  /** The file's fingerprint a previous run recorded (source-check.ts), if any. */
  recordedSource: JsonObject | null;
  meter: ProgressMeter;
  command: Omit<ImportCommand, 'source'> & { source: ImportSource };
}

/**
 * Runs an import as a job; answers the report rows no step holds (unreadable orgs). The rest
 * of the report is in the job's steps, written as each pass commits, and read from there
 * (job-commands.ts report): nothing here keeps a pass's outcomes once it is stored.
 */
export function createJobImporter(deps: ImportDeps & { jobs: JobStore; audit: AuditStore }) {
  return async function runImport(run: ImportJobRun): Promise<{ tail: ItemResult[] }> {
    let step = 0;
    /** A first pass tells the meter how many later passes its org has. */
    const planned = (o: PassOutcome) => {
      if (o.pass === 1) run.meter.planLater(laterPassesOf(o));
    };
    /** Whether the engine's next outcomes are those of the step that just committed (stored already). */
    let fromStep = false;
    const tail: ItemResult[] = [];

    const tx: ResourceTransactions = {
      analyze: () => deps.tx.analyze(),
      read: (signal, work) => deps.tx.read(signal, work),
      async write(signal, options, work) {
        // A dry run is one transaction rolled back: nothing to checkpoint.
        if (options.rollback) return deps.tx.write(signal, options, work);
        const n = step++;
        const stored = n < run.replayed ? (await deps.jobs.steps(run.jobId, n, 1))[0] : undefined;
        if (stored) {
          const outcome = storedOutcome(stored);
          planned(outcome);
          run.meter.step(outcome.pass, outcome.results, true);
          fromStep = true;
          return outcome as never;
        }
        const result = await deps.tx.write(signal, options, async (writer) => {
          const before: Digests = new Map();
          const after: Digests = new Map();
          const result = await work(watchWriter(writer, before, after));
          const outcome = asPassOutcome(result);
          const { orgId, pass, results } = outcome;
          // Kept, counted and audited as the pass packed them: no object per success (issue 11).
          const row: JobStep = {
            step: n,
            pass,
            orgId,
            results,
            // The refs as one JSON text, which the store keeps without parsing its elements: an
            // org of 100,000 users provides 100,000 (3.1 MB of [kind, id, why] triples); a
            // checkpoint took 190 ms with them as one text, 222 ms as jsonb elements
            // (test/bench/job-overhead.ts --users 200000 --orgs 2, temporary timing).
            state: { refsText: JSON.stringify(passRefsToJson(outcome.provides)), fresh: outcome.fresh, deferred: outcome.deferred },
          };
          // Made as the store writes them (COPY on PostgreSQL): no array of a pass's events.
          await deps.audit.append(auditEntries(run, results, before, after), writer);
          const meter = run.meter;
          planned(outcome);
          meter.step(pass, results, false);
          await deps.jobs.checkpoint(writer, run.jobId, run.owner, row, meter.snapshot());
          return result;
        });
        fromStep = true;
        return result;
      },
    };

    const ended = (orgs: number) => run.meter.setOrgsTotal(orgs);
    const given = run.command.source;
    // Before anything is read: a resumed run of a changed file ends here, having written nothing.
    const blobs =
      given.kind === 'blob'
        ? await checkSource(deps, {
            jobId: run.jobId,
            owner: run.owner,
            recorded: run.recordedSource,
            target: given.target,
            signal: run.command.signal,
          })
        : deps.blobs;
    const { source, codec } = countOrgs(given, deps.codec, run.meter, ended);
    // The engine hands every pass's outcomes at once (addAll), right after its write; one by
    // one only the rows no pass holds. A dry run's passes are not steps: all of them are the tail.
    const sink: ImportReportSink = {
      add: (r) => tail.push(r),
      addAll(results) {
        if (fromStep) fromStep = false;
        else for (const r of results) tail.push(r);
      },
    };
    await createImportEngine({ ...deps, blobs, codec, tx })({ ...run.command, source }, sink);
    if (!run.command.dryRun) run.meter.passesEnded();
    return { tail };
  };
}

/** The outcome a committed step stored, as the importer returned it. */
function storedOutcome(stored: JobStep): PassOutcome {
  const { refsText, fresh, deferred } = stored.state;
  // Steps written before the refs were one text kept them as an array (`refs`).
  const refs = typeof refsText === 'string' ? (JSON.parse(refsText) as unknown) : stored.state.refs;
  if (!Array.isArray(refs) || ![1, 2, 3].includes(stored.pass)) {
    // Written by an idport before first passes took a new org's grants: its steps do not line up.
    throw new Error(`run-import: step ${stored.step} was checkpointed by an earlier idport version; start the import again`);
  }
  let results: PackedResults;
  if (stored.results instanceof PackedResults) results = stored.results;
  else {
    // Rows of a step written before steps kept packed runs (step-results.ts v2).
    results = new PackedResults();
    for (const r of stored.results) results.add(r);
  }
  return {
    orgId: stored.orgId,
    pass: stored.pass as Pass,
    results,
    provides: passRefsFromJson(stored.orgId, refs as unknown as Parameters<typeof passRefsFromJson>[1]),
    fresh: fresh === true,
    deferred: (deferred ?? {}) as Record<string, number[]>,
  };
}

/**
 * One event per outcome, read from the packed runs: a run's successes as AuditRuns of at most
 * AUDIT_RUN_MAX (ids and digests side by side, no object per event), the rest one by one.
 */
function* auditEntries(run: ImportJobRun, results: PackedOutcomes, before: Digests, after: Digests): Generator<AuditEntry | AuditRun> {
  for (const part of results.parts()) {
    if ('whole' in part) {
      const r = part.whole;
      yield auditEntry(run, r, before.get(r.type)?.get(r.id) ?? '', after.get(r.type)?.get(r.id));
      continue;
    }
    const { orgId, type, outcome } = part.run;
    const head = { principal: run.principal, jobId: run.jobId, source: run.source, kind: type, orgId, outcome };
    const was = before.get(type);
    const changed = outcome === 'created' || outcome === 'updated';
    const now = after.get(type);
    const empty = (): AuditRun => ({ head, resourceIds: [], digestsBefore: [], digestsAfter: [] });
    let open = empty();
    for (const row of part.run.rows()) {
      const id = row.id();
      // Created: nothing before; created and updated: what this pass stored; the rest keep what was stored.
      const had = outcome === 'created' ? '' : (was?.get(id) ?? '');
      open.resourceIds.push(id);
      open.digestsBefore.push(had);
      open.digestsAfter.push(changed ? (now?.get(id) ?? '') : had);
      if (open.resourceIds.length === AUDIT_RUN_MAX) {
        yield open;
        open = empty();
      }
    }
    if (open.resourceIds.length > 0) yield open;
  }
}

/** Created and updated resources have new content; the rest keep what was stored (if anything). */
function auditEntry(run: ImportJobRun, r: Omit<ItemResult, 'item'>, before: string, after: string | undefined): AuditEntry {
  const changed = r.outcome === 'created' || r.outcome === 'updated';
  return {
    principal: run.principal,
    jobId: run.jobId,
    source: run.source,
    kind: r.type,
    orgId: r.orgId,
    resourceId: r.id,
    outcome: r.outcome,
    digestBefore: r.outcome === 'created' ? '' : before,
    digestAfter: changed ? (after ?? '') : before,
    detail: r.message ?? '',
  };
}

/** An org pass 1 runs for: one whose id the importer accepts (the plan's own rule). */
function runsPassOne(org: JsonObject): boolean {
  return orgIdProblem(stringAt(org, 'orgId')) === undefined;
}

/**
 * Counts the orgs that get an org pass (so passes 2 and 3 are told apart) and the bytes read:
 * inline orgs as they are handed over; a file's bytes as the codec reads (checks and indexes)
 * it, its orgs as the codec hands them over.
 */
function countOrgs(
  source: ImportSource,
  codec: ImportFileCodec,
  meter: ProgressMeter,
  ended: (orgs: number) => void,
): { source: ImportSource; codec: ImportFileCodec } {
  let orgs = 0;
  if (source.kind === 'inline') {
    const given = source.orgs;
    const counted: ImportSource = {
      kind: 'inline',
      orgs: (async function* () {
        for await (const org of given) {
          if (runsPassOne(org)) orgs++;
          yield org;
        }
        ended(orgs);
      })(),
    };
    return { source: counted, codec };
  }
  const counting: ImportFileCodec = {
    index: (bytes) =>
      codec.index(
        (async function* () {
          for await (const chunk of bytes) {
            meter.addBytes(chunk.length);
            yield chunk;
          }
        })(),
      ),
    orgs: (index, file, shape) =>
      (async function* () {
        for await (const decoded of codec.orgs(index, file, shape)) {
          if ('org' in decoded && runsPassOne(decoded.org.head)) orgs++;
          yield decoded;
        }
        ended(orgs);
      })(),
  };
  return { source, codec: counting };
}
