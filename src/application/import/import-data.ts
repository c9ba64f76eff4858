import { type JsonObject, stringAt } from '../../domain/json.js';
import { isStorableText } from '../../domain/resources/field-rules.js';
import { ORG_KIND, RESOURCE_KINDS } from '../../domain/resources/kinds.js';
import type { BlobStorage, BlobTarget, ResourceTransactions, ResourceWriter } from '../ports.js';
import { checkDeadline, deadlineError } from './deadline.js';
import { type ImportReport, type ItemResult, isSuccess } from './import-report.js';
import { OrgSession } from './org-session.js';
import { readAhead } from './read-ahead.js';

/** What to do when a resource exists with different content. */
export type ConflictPolicy = 'fail' | 'skip' | 'overwrite';

/**
 * DataOrgs inline or as a stream (whole orgs, one after the other), or a blob (GCS object,
 * local file) and how to decode its bytes into orgs as they arrive.
 */
export type ImportSource =
  | { kind: 'inline'; orgs: Iterable<JsonObject> | AsyncIterable<JsonObject> }
  | {
      kind: 'blob';
      target: BlobTarget;
      /** Checks the whole file first, so a truncated or malformed one writes nothing. */
      validate(bytes: AsyncIterable<Uint8Array>): Promise<void>;
      decode(bytes: AsyncIterable<Uint8Array>): AsyncIterable<DecodedOrg>;
    };

/** One org read from a file: decoded, or why it could not be. */
export type DecodedOrg = { org: JsonObject } | { orgId: string; error: string };

export interface ImportCommand {
  /** DataOrg items in the zitadel.admin.v1 JSON shape (v1 input is normalised before). */
  source: ImportSource;
  conflictPolicy: ConflictPolicy;
  /** Report what would happen, write nothing. */
  dryRun: boolean;
  signal: AbortSignal;
}

export interface ImportDeps {
  tx: ResourceTransactions;
  blobs: BlobStorage;
  hasher: { hash(plain: string): Promise<string>; verify(plain: string, encoded: string): Promise<boolean> };
}

/**
 * Resources created between refreshes of the planner statistics (after the org's transaction
 * commits). Measured with `npm run bench`: without it, exporting right after importing a
 * 100,000-user org ran 5× slower, each page planned as a scan of an "empty" table.
 */
const ANALYZE_AFTER = 10_000;

/**
 * Imports orgs in ZITADEL's three passes (org-local resources, cross-org grants, members).
 * Each org and pass is one transaction; each batch of rows a savepoint, retried row by row
 * when it fails, so one bad resource never takes its neighbours down. Every resource ends in
 * the report: created, unchanged, updated, skipped (with the dependency that failed) or failed.
 */
export function createImporter(deps: ImportDeps) {
  return async function importData(cmd: ImportCommand): Promise<ImportReport> {
    const results: ItemResult[] = [];
    /** ref key → undefined when present, else why it is not. */
    const known = new Map<string, string | undefined>();
    const committed = () => ({
      committed: results.filter(isSuccess).length,
      failed: results.filter((r) => !isSuccess(r)).length,
    });

    const runPass = async (writer: ResourceWriter, org: JsonObject, pass: 1 | 2 | 3) => {
      const orgId = stringAt(org, 'orgId');
      // Concurrent imports of the same org take turns, so the later one sees what the earlier
      // committed and reports it unchanged (a dry run writes nothing and takes no lock).
      if (!cmd.dryRun) await writer.lockOrg(orgId);
      const pending: ItemResult[] = [];
      const session = new OrgSession(deps, cmd, writer, orgId, pending, (key) =>
        known.has(key) ? { found: true, why: known.get(key) } : { found: false },
      );
      session.fresh = pass > 1 && freshOrgs.has(orgId);
      if (pass === 1) {
        const head: JsonObject = { org: org.org ?? {} };
        if (org.orgState !== undefined) head.orgState = org.orgState;
        // A DataOrg without a name adds resources to an org that exists already (a later part
        // of a streamed org, or data for an org created before); only a new org needs a name.
        if (stringAt(org, 'org.name') === '' && (await session.orgExists())) {
          session.markPresent(ORG_KIND, head);
        } else {
          await session.importKind(ORG_KIND, [head]);
          session.fresh = pending.some((r) => r.type === 'org' && r.outcome === 'created');
        }
      }
      for (const kind of RESOURCE_KINDS) {
        if (kind.pass !== pass) continue;
        const value = org[kind.field];
        const items = kind.repeated ? (Array.isArray(value) ? value : []) : value ? [value] : [];
        checkDeadline(cmd.signal, committed);
        await session.importKind(kind, items as JsonObject[]);
      }
      return { pending, provides: session.provided, fresh: session.fresh };
    };

    /** Orgs this import created (once their first pass committed). */
    const freshOrgs = new Set<string>();
    const keep = (outcome: Awaited<ReturnType<typeof runPass>>) => {
      if (outcome.fresh) for (const r of outcome.pending) if (r.type === 'org') freshOrgs.add(r.orgId);
      // A loop, not push(...items): an org's hundred thousand results overflow the argument stack.
      for (const r of outcome.pending) results.push(r);
      // A later failure (an org sent twice, say) must not hide what an earlier pass made present.
      for (const [k, v] of outcome.provides) if (v === undefined || !known.has(k)) known.set(k, v);
    };

    let sinceAnalyze = 0;
    /** Orgs reduced to what the later passes need, kept while the stream goes on. */
    const later: JsonObject[] = [];
    const runAll = async (runOrgPass: (org: JsonObject, pass: 1 | 2 | 3) => Promise<void>) => {
      for await (const decoded of orgsOf(deps, cmd)) {
        if ('error' in decoded) {
          results.push({ orgId: decoded.orgId, type: 'org', id: decoded.orgId, outcome: 'failed', message: decoded.error, item: {} });
          continue;
        }
        const org = decoded.org;
        const problem = orgIdProblem(stringAt(org, 'orgId'));
        if (problem) {
          const id = isStorableText(stringAt(org, 'orgId')) ? stringAt(org, 'orgId') : '';
          results.push({ orgId: id, type: 'org', id, outcome: 'failed', message: problem, item: {} });
          continue;
        }
        checkDeadline(cmd.signal, committed);
        await runOrgPass(org, 1);
        later.push(laterPart(org));
      }
      for (const pass of [2, 3] as const) {
        for (const org of later) {
          checkDeadline(cmd.signal, committed);
          await runOrgPass(org, pass);
        }
      }
    };

    try {
      if (cmd.dryRun) {
        // One transaction for everything, rolled back: later passes can see earlier ones.
        await deps.tx.write(cmd.signal, { rollback: true }, (writer) =>
          runAll(async (org, pass) => keep(await writer.savepoint((w) => runPass(w, org, pass)))),
        );
      } else {
        await runAll(async (org, pass) => {
          const outcome = await deps.tx.write(cmd.signal, { rollback: false }, (w) => runPass(w, org, pass));
          keep(outcome);
          sinceAnalyze += outcome.pending.filter((r) => r.outcome === 'created').length;
          if (sinceAnalyze >= ANALYZE_AFTER) {
            await deps.tx.analyze();
            sinceAnalyze = 0;
          }
        });
      }
    } catch (e) {
      if (cmd.signal.aborted) throw deadlineError(cmd.signal, { ...committed(), committedByType: summary(results) });
      throw e;
    }
    return { results, dryRun: cmd.dryRun };
  };
}

async function* orgsOf(deps: ImportDeps, cmd: ImportCommand): AsyncGenerator<DecodedOrg> {
  const source = cmd.source;
  if (source.kind === 'inline') {
    for await (const org of source.orgs) yield { org };
    return;
  }
  deps.blobs.check(source.target);
  await source.validate(deps.blobs.read(source.target, cmd.signal));
  yield* readAhead(source.decode(deps.blobs.read(source.target, cmd.signal)));
}

/** Why an org's id cannot be used (it keys every row of the org), or undefined. */
function orgIdProblem(orgId: string): string | undefined {
  if (!orgId) return 'orgId is required (IMPORT-required)';
  if (!isStorableText(orgId)) return 'orgId holds a NUL character or a lone surrogate (IMPORT-text)';
  if ([...orgId].length > 64) return "orgId is longer than 64 characters, idport's id limit (IMPORT-length)";
  return undefined;
}

const LATER_FIELDS = RESOURCE_KINDS.filter((k) => k.pass > 1).map((k) => k.field);

/** The part of an org the second and third passes read: its id and its grants and members. */
function laterPart(org: JsonObject): JsonObject {
  const part: JsonObject = { orgId: org.orgId ?? '' };
  for (const field of LATER_FIELDS) if (org[field] !== undefined) part[field] = org[field] ?? null;
  return part;
}

/** What committed before a deadline, per resource type (small enough for an error header). */
function summary(results: ItemResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) if (isSuccess(r)) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}
