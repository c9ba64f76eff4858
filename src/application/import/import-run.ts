import { stringAt } from '../../domain/json.js';
import { isStorableText } from '../../domain/resources/field-rules.js';
import { ORG_KIND } from '../../domain/resources/kinds.js';
import type { ImportReportSink, ResourceWriter, SourceOrg } from '../ports.js';
import { checkDeadline, deadlineError } from './deadline.js';
import type { DecodedOrg, ImportCommand, ImportDeps } from './import-data.js';
import { ImportTally, type ItemResult } from './import-report.js';
import { openSource } from './import-source.js';
import { OrgSession } from './org-session.js';
import type { PackedResults } from './packed-results.js';
import {
  addsToExistingOrg,
  type Deferred,
  LATER_FIELDS,
  LATER_PASSES,
  type LaterOrg,
  laterPassesOf,
  orgHead,
  orgIdProblem,
  type Pass,
  passKinds,
  stepsOf,
} from './plan.js';
import { ImportRefs, type PassRefs } from './references.js';

/** What one org's pass left behind once its transaction is done. */
export interface PassOutcome {
  orgId: string;
  pass: Pass;
  results: PackedResults;
  provides: PassRefs;
  fresh: boolean;
  /** The first pass's items left for the later passes (none for the later passes themselves). */
  deferred: Deferred;
}

/** What an org pass works on: the org as read (its first pass), or what a later pass reads again. */
type OrgPassInput = { pass: 1; org: SourceOrg } | { pass: 2 | 3; org: LaterOrg };

/**
 * One import: orgs in ZITADEL's three passes (org-local resources, cross-org grants, members).
 * Each org and pass is one transaction (a dry run: one transaction, rolled back, each org and
 * pass a savepoint); each batch of rows a savepoint, retried row by row when it fails, so one
 * bad resource never takes its neighbours down. Every resource ends in the sink: created,
 * unchanged, updated, skipped (with the dependency that failed) or failed.
 */
export class ImportRun {
  private readonly tally = new ImportTally();
  /** What committed passes made present (or failed to), for the references of later ones. */
  private readonly known = new ImportRefs();
  /** Orgs this import created (once their first pass committed). */
  private readonly freshOrgs = new Set<string>();
  /** Orgs the later passes have work for, and what of them they read again. */
  private readonly later: (LaterOrg | undefined)[] = [];
  /** Later-pass orgs per org id not done yet: until then, its org-local references are kept. */
  private readonly pendingByOrg = new Map<string, number>();
  /** Resources created by committed passes since the planner statistics were refreshed. */
  private created = 0;

  constructor(
    private readonly deps: ImportDeps,
    private readonly cmd: ImportCommand,
    private readonly sink: ImportReportSink,
  ) {}

  async run(): Promise<void> {
    try {
      if (this.cmd.dryRun) {
        // One transaction for everything, rolled back: later passes can see earlier ones.
        await this.deps.tx.write(this.cmd.signal, { rollback: true }, (writer) =>
          this.allPasses(async (input) => this.commit(await writer.savepoint((w) => this.orgPass(w, input)))),
        );
      } else {
        await this.allPasses(async (input) => {
          const outcome = await this.deps.tx.write(this.cmd.signal, { rollback: false }, (w) => this.orgPass(w, input));
          this.created += outcome.results.counts.created;
          return this.commit(outcome);
        });
        await this.analyzeOnce();
      }
    } catch (e) {
      if (this.cmd.signal.aborted) {
        throw deadlineError(this.cmd.signal, { ...this.tally.counts(), committedByType: this.tally.committedByType });
      }
      throw e;
    }
  }

  /**
   * The first pass org by org as the source is read (a new org's grants and members with it,
   * when what they refer to is present), then the later passes over the orgs that have work left.
   */
  private async allPasses(runOrgPass: (input: OrgPassInput) => Promise<PassOutcome>): Promise<void> {
    const source = await openSource(this.deps, this.cmd.source, this.cmd.signal);
    try {
      await this.passes(source.orgs, runOrgPass);
    } finally {
      await source.close();
    }
  }

  private async passes(orgs: AsyncIterable<DecodedOrg>, runOrgPass: (input: OrgPassInput) => Promise<PassOutcome>): Promise<void> {
    for await (const decoded of orgs) {
      if ('error' in decoded) {
        this.report({ orgId: decoded.orgId, type: 'org', id: decoded.orgId, outcome: 'failed', message: decoded.error, item: {} });
        continue;
      }
      const org = decoded.org;
      const orgId = stringAt(org.head, 'orgId');
      const problem = orgIdProblem(orgId);
      if (problem) {
        const id = isStorableText(orgId) ? orgId : '';
        this.report({ orgId: id, type: 'org', id, outcome: 'failed', message: problem, item: {} });
        continue;
      }
      this.checkDeadline();
      const first = await runOrgPass({ pass: 1, org });
      const passes = laterPassesOf(first);
      if (passes.length === 0) {
        this.orgDone(first.orgId);
        continue;
      }
      const deferred = first.fresh ? first.deferred : undefined;
      this.later.push({ orgId: first.orgId, passes, deferred, source: org.only(LATER_FIELDS) });
      this.pendingByOrg.set(first.orgId, (this.pendingByOrg.get(first.orgId) ?? 0) + 1);
    }
    for (const pass of LATER_PASSES) {
      for (const [i, org] of this.later.entries()) {
        if (!org?.passes.includes(pass)) continue;
        this.checkDeadline();
        await runOrgPass({ pass, org });
        if (org.passes.at(-1) !== pass) continue;
        this.later[i] = undefined; // its items need not be kept any more
        this.pendingByOrg.set(org.orgId, (this.pendingByOrg.get(org.orgId) ?? 1) - 1);
        this.orgDone(org.orgId);
      }
    }
  }

  /** An org's passes are done: its org-local references (apps, actions, IdPs) need not be kept, unless another part of it is pending. */
  private orgDone(orgId: string): void {
    if ((this.pendingByOrg.get(orgId) ?? 0) > 0) return;
    this.pendingByOrg.delete(orgId);
    this.known.forgetOrgLocal(orgId);
  }

  /** One org's pass, inside its transaction (or savepoint). */
  private async orgPass(writer: ResourceWriter, input: OrgPassInput): Promise<PassOutcome> {
    const orgId = input.pass === 1 ? stringAt(input.org.head, 'orgId') : input.org.orgId;
    // Concurrent imports of the same org take turns, so the later one sees what the earlier
    // committed and reports it unchanged (a dry run writes nothing and takes no lock).
    if (!this.cmd.dryRun) await writer.lockOrg(orgId);
    const context = { hasher: this.deps.hasher, conflictPolicy: this.cmd.conflictPolicy, signal: this.cmd.signal };
    const session = new OrgSession(context, writer, orgId, this.known);
    const deferred: Deferred = {};
    try {
      if (input.pass === 1) {
        const head = orgHead(input.org.head);
        if (addsToExistingOrg(input.org.head) && (await session.orgExists())) {
          session.markPresent(ORG_KIND, head);
        } else {
          await session.importStep({ kind: ORG_KIND, items: [head] });
          session.fresh = session.createdOrg;
        }
        for (const { kind, deferUnresolved } of passKinds(1, session.fresh)) {
          for await (const step of stepsOf(input.org, kind)) {
            this.checkDeadline();
            const left = await session.importStep(step, deferUnresolved);
            if (left.length) deferred[kind.field] = [...(deferred[kind.field] ?? []), ...left];
          }
        }
      } else {
        session.fresh = this.freshOrgs.has(orgId);
        const later = input.org;
        for (const { kind } of passKinds(input.pass, session.fresh)) {
          for await (const step of stepsOf(later.source, kind, later.deferred ? (later.deferred[kind.field] ?? []) : undefined)) {
            this.checkDeadline();
            await session.importStep(step);
          }
        }
      }
      await session.settle();
      for (const [field, more] of session.lateDeferred) deferred[field] = [...(deferred[field] ?? []), ...more].sort((a, b) => a - b);
    } catch (e) {
      // An open bulk write (a COPY) must end before the transaction can roll back.
      await session.abandon();
      throw e;
    }
    return { orgId, pass: input.pass, results: session.results, provides: session.refs.provided, fresh: session.fresh, deferred };
  }

  /** A pass's transaction is done: its outcomes go to the sink, and what it made present to later passes. */
  private commit(outcome: PassOutcome): PassOutcome {
    if (outcome.fresh) this.freshOrgs.add(outcome.orgId);
    this.tally.countAll(outcome.results);
    if (this.sink.addAll) this.sink.addAll(outcome.results);
    else for (const r of outcome.results) this.sink.add(r);
    this.known.merge(outcome.provides);
    return outcome;
  }

  private report(r: ItemResult): void {
    this.tally.count(r);
    this.sink.add(r);
  }

  /**
   * Refreshes the planner statistics once, when the import is done (if it created anything):
   * without it, exporting right after importing a 100,000-user org ran 5× slower, each page
   * planned as a scan of an "empty" table (`npm run bench`). Refreshing every 10,000 created
   * rows ran ANALYZE 20 times at 1M users for no gain on the import's own statements, which
   * are keyed lookups and inserts (a fresh org skips the lookups). The server's store runs it
   * behind the answer (statistics-behind.ts): what follows an import still sees it done.
   */
  private async analyzeOnce(): Promise<void> {
    if (this.created === 0) return;
    await this.deps.tx.analyze();
  }

  private checkDeadline(): void {
    checkDeadline(this.cmd.signal, () => this.tally.counts());
  }
}
