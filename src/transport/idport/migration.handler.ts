import { clone, create, fromJson, merge, toJson } from '@bufbuild/protobuf';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import {
  ImportDataResponseSchema,
  type ImportOptions,
  type ImportResult,
  ImportResultSchema,
  type MigrationService,
  Outcome,
  ConflictPolicy as PbConflictPolicy,
  StreamExportResponseSchema,
  type StreamImportRequest,
} from '../../../gen/idport/v1/migration_pb.js';
import { type DataOrg, DataOrgSchema, ImportDataRequestSchema } from '../../../gen/zitadel/admin_pb.js';
import type { ExportPart } from '../../application/export/export-parts.js';
import type { ConflictPolicy } from '../../application/import/import-data.js';
import type { ImportReport, Outcome as ReportOutcome } from '../../application/import/import-report.js';
import { emptyReport } from '../../application/import/report-collector.js';
import type { JsonObject } from '../../domain/json.js';
import { importSource } from '../admin/import.handler.js';
import { importResponse, LAZY_LIST_FROM } from '../admin/import-response.js';
import { type ListPart, lazyList } from '../admin/lazy-list.js';
import { callSignal } from '../call-signal.js';
import type { AdminUseCases } from '../use-cases.js';

const POLICY: Record<PbConflictPolicy, ConflictPolicy> = {
  [PbConflictPolicy.UNSPECIFIED]: 'fail',
  [PbConflictPolicy.FAIL]: 'fail',
  [PbConflictPolicy.SKIP]: 'skip',
  [PbConflictPolicy.OVERWRITE]: 'overwrite',
};

export const OUTCOME: Record<ReportOutcome, Outcome> = {
  created: Outcome.CREATED,
  unchanged: Outcome.UNCHANGED,
  updated: Outcome.UPDATED,
  skipped: Outcome.SKIPPED,
  failed: Outcome.FAILED,
};

export function importOptions(o: ImportOptions | undefined) {
  return { conflictPolicy: POLICY[o?.conflictPolicy ?? PbConflictPolicy.UNSPECIFIED] ?? 'fail', dryRun: o?.dryRun ?? false };
}

/** The totals as idport.v1.ImportCounts. */
export function countsMessage(c: ImportReport['counts']) {
  return {
    created: BigInt(c.created),
    unchanged: BigInt(c.unchanged),
    updated: BigInt(c.updated),
    skipped: BigInt(c.skipped),
    failed: BigInt(c.failed),
  };
}

/**
 * ZITADEL's answer plus every resource's outcome and the totals; the results read row by row
 * from the packed report (no ItemResult per resource in between).
 */
export function detailedResponse(report: ImportReport) {
  const response = create(ImportDataResponseSchema, {
    response: importResponse(report),
    counts: countsMessage(report.counts),
    dryRun: report.dryRun,
  });
  const results: ListPart<ImportResult>[] = [];
  let length = 0;
  for (const part of report.parts()) {
    if ('whole' in part) {
      const r = part.whole;
      const value = create(ImportResultSchema, {
        orgId: r.orgId,
        type: r.type,
        id: r.id,
        outcome: OUTCOME[r.outcome],
        message: r.message ?? '',
      });
      results.push({ value });
    } else {
      const { orgId, type, outcome } = part.run;
      results.push({
        run: part.run,
        element: (row) => create(ImportResultSchema, { orgId, type, id: row.id(), outcome: OUTCOME[outcome] }),
      });
    }
    length += 'run' in part ? part.run.count : 1;
  }
  response.results = length >= LAZY_LIST_FROM ? lazyList(results, length) : [...lazyList(results, length)];
  return response;
}

/** One DataOrg message per export part: merging all messages of an org gives the whole org. */
function partMessage(part: ExportPart): DataOrg | undefined {
  switch (part.type) {
    case 'org':
      return fromJson(DataOrgSchema, { orgId: part.orgId, org: part.head.org ?? {} });
    case 'items':
      return fromJson(DataOrgSchema, {
        orgId: part.orgId,
        [part.kind.field]: part.kind.repeated ? part.items.map((i) => JSON.parse(i)) : JSON.parse(part.items[0] ?? '{}'),
      });
    case 'end':
      return fromJson(DataOrgSchema, { orgId: part.orgId, orgState: part.head.orgState ?? 'ORG_STATE_ACTIVE' });
  }
}

/** Merges contiguous parts of each org and yields whole orgs as JSON, one after the other. */
async function* wholeOrgs(first: StreamImportRequest, rest: AsyncIterator<StreamImportRequest>): AsyncGenerator<JsonObject> {
  let current: DataOrg | undefined;
  let next: StreamImportRequest | undefined = first;
  while (next) {
    if (next.org) {
      if (current && current.orgId !== next.org.orgId) {
        yield toJson(DataOrgSchema, current) as JsonObject;
        current = undefined;
      }
      if (current) merge(DataOrgSchema, current, next.org);
      else current = clone(DataOrgSchema, next.org);
    }
    const step = await rest.next();
    next = step.done ? undefined : step.value;
  }
  if (current) yield toJson(DataOrgSchema, current) as JsonObject;
}

export function createMigrationHandlers(uc: Pick<AdminUseCases, 'importData' | 'streamExport'>): ServiceImpl<typeof MigrationService> {
  return {
    async importData(req, ctx: HandlerContext) {
      const inner = req.request ?? create(ImportDataRequestSchema);
      const report = await uc.importData({
        source: importSource(inner),
        ...importOptions(req.options),
        signal: callSignal(ctx, inner.timeout),
      });
      return detailedResponse(report);
    },

    async *streamExport(req, ctx) {
      const inner = req.request;
      const parts = uc.streamExport(
        {
          orgIds: inner?.orgIds ?? [],
          excludedOrgIds: inner?.excludedOrgIds ?? [],
          withPasswords: inner?.withPasswords ?? false,
          withOtp: inner?.withOtp ?? false,
          signal: callSignal(ctx, inner?.timeout ?? ''),
        },
        req.itemsPerMessage || 1000,
      );
      for await (const part of parts) {
        const org = partMessage(part);
        if (org) yield create(StreamExportResponseSchema, { org });
      }
    },

    async streamImport(requests, ctx) {
      const iterator = requests[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done) {
        return detailedResponse(emptyReport(false));
      }
      const report = await uc.importData({
        source: { kind: 'inline', orgs: wholeOrgs(first.value, iterator) },
        ...importOptions(first.value.options),
        signal: callSignal(ctx, first.value.timeout),
      });
      return detailedResponse(report);
    },
  };
}
