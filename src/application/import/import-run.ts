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
import { addsToExistingOrg, LATER_FIELDS, LATER_PASSES, orgHead, orgIdProblem, type Pass, stepsOf } from './plan.js';
import { mergeRefs, type RefStates } from './references.js';

/** What one org's pass left behind once its transaction is done. */
interface PassOutcome {
  orgId: string;
  results: PackedResults;
  provides: RefStates;
  fresh: boolean;
}

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
  private readonly known: RefStates = new Map();
  /** Orgs this import created (once their first pass committed). */
  private readonly freshOrgs = new Set<string>();
  /** Orgs reduced to what the later passes need (a file's: where in it), kept while the source goes on. */
  private readonly later: SourceOrg[] = [];
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
          this.allPasses(async (org, pass) => this.commit(await writer.savepoint((w) => this.orgPass(w, org, pass)))),
        );
      } else {
        await this.allPasses(async (org, pass) => {
          const outcome = await this.deps.tx.write(this.cmd.signal, { rollback: false }, (w) => this.orgPass(w, org, pass));
          this.commit(outcome);
          this.created += outcome.results.counts.created;
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

  /** The first pass org by org as the source is read, then the later passes over every org. */
  private async allPasses(runOrgPass: (org: SourceOrg, pass: Pass) => Promise<void>): Promise<void> {
    const source = await openSource(this.deps, this.cmd.source, this.cmd.signal);
    try {
      await this.passes(source.orgs, runOrgPass);
    } finally {
      await source.close();
    }
  }

  private async passes(orgs: AsyncIterable<DecodedOrg>, runOrgPass: (org: SourceOrg, pass: Pass) => Promise<void>): Promise<void> {
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
      await runOrgPass(org, 1);
      this.later.push(org.only(LATER_FIELDS));
    }
    for (const pass of LATER_PASSES) {
      for (const org of this.later) {
        this.checkDeadline();
        await runOrgPass(org, pass);
      }
    }
  }

  /** One org's pass, inside its transaction (or savepoint). */
  private async orgPass(writer: ResourceWriter, org: SourceOrg, pass: Pass): Promise<PassOutcome> {
    const orgId = stringAt(org.head, 'orgId');
    // Concurrent imports of the same org take turns, so the later one sees what the earlier
    // committed and reports it unchanged (a dry run writes nothing and takes no lock).
    if (!this.cmd.dryRun) await writer.lockOrg(orgId);
    const context = { hasher: this.deps.hasher, conflictPolicy: this.cmd.conflictPolicy, signal: this.cmd.signal };
    const session = new OrgSession(context, writer, orgId, this.known);
    session.fresh = pass > 1 && this.freshOrgs.has(orgId);
    if (pass === 1) {
      const head = orgHead(org.head);
      if (addsToExistingOrg(org.head) && (await session.orgExists())) {
        session.markPresent(ORG_KIND, head);
      } else {
        await session.importStep({ kind: ORG_KIND, items: [head] });
        session.fresh = session.createdOrg;
      }
    }
    for await (const step of stepsOf(org, pass)) {
      this.checkDeadline();
      await session.importStep(step);
    }
    return { orgId, results: session.results, provides: session.refs.provided, fresh: session.fresh };
  }

  /** A pass's transaction is done: its outcomes go to the sink, and what it made present to later passes. */
  private commit(outcome: PassOutcome): void {
    if (outcome.fresh) this.freshOrgs.add(outcome.orgId);
    for (const r of outcome.results) this.report(r);
    mergeRefs(this.known, outcome.provides);
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
   * are keyed lookups and inserts (a fresh org skips the lookups).
   */
  private async analyzeOnce(): Promise<void> {
    if (this.created === 0) return;
    await this.deps.tx.analyze();
  }

  private checkDeadline(): void {
    checkDeadline(this.cmd.signal, () => this.tally.counts());
  }
}
