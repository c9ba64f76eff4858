import { create, type Message, merge } from '@bufbuild/protobuf';
import type { ImportDataResponse as DetailedResponse, ImportResult } from '../../../gen/idport/v1/migration_pb.js';
import {
  type ImportDataError,
  type ImportDataResponse,
  ImportDataResponseSchema,
  type ImportDataSuccessOrg,
  ImportDataSuccessOrgSchema,
} from '../../../gen/zitadel/admin_pb.js';
import type { Kind } from './types.js';

/** The outcome of a migration, the same for every pair of kinds. */
export interface MigrationReport {
  sourceKind: Kind;
  targetKind: Kind;
  dryRun: boolean;
  /**
   * Totals per outcome, in print order. idport targets report created / unchanged / updated /
   * skipped / failed per resource; ZITADEL's report only lists what succeeded and what failed.
   */
  totals: Readonly<Record<string, bigint>> & { failed: bigint };
  /** ZITADEL's answer, merged over every call: the imported orgs and every error. */
  response: ImportDataResponse;
  /** idport targets: every resource's outcome; empty for ZITADEL targets. */
  results: ImportResult[];
}

/** The report of an idport target (StreamImport's detailed answer). */
export function idportReport(sourceKind: Kind, detailed: DetailedResponse): MigrationReport {
  const c = detailed.counts;
  return {
    sourceKind,
    targetKind: 'idport',
    dryRun: detailed.dryRun,
    totals: {
      created: c?.created ?? 0n,
      unchanged: c?.unchanged ?? 0n,
      updated: c?.updated ?? 0n,
      skipped: c?.skipped ?? 0n,
      failed: c?.failed ?? 0n,
    },
    response: detailed.response ?? create(ImportDataResponseSchema, { success: {} }),
    results: detailed.results,
  };
}

/**
 * ZITADEL's AddOrgWithID error for an org id that exists (internal/command/org.go:
 * `ORG-lapo2m`, "Errors.Org.AlreadyExisting"); idport's own wording is matched too.
 */
const ORG_EXISTS = /ORG-lapo2m|AlreadyExist|already exists/i;

/**
 * Collects ZITADEL's answers to the calls of a migration into one: success entries of an org's
 * parts merged into one per org, errors in call order. An org's later parts repeat its head on
 * purpose, and ZITADEL answers that with "org already exists" before importing the part; that
 * expected error is dropped, every other one kept.
 */
export function createZitadelReportCollector() {
  const orgs = new Map<string, ImportDataSuccessOrg>();
  const errors: ImportDataError[] = [];
  return {
    add(orgId: string, laterPart: boolean, answer: ImportDataResponse): void {
      for (const e of answer.errors) {
        if (laterPart && e.type === 'org' && e.id === orgId && ORG_EXISTS.test(e.message)) continue;
        errors.push(e);
      }
      for (const org of answer.success?.orgs ?? []) {
        const known = orgs.get(org.orgId);
        if (known) merge(ImportDataSuccessOrgSchema, known, org);
        else orgs.set(org.orgId, org);
      }
    },
    /** Whether the target reported the org as present (created now or found), so later parts can go. */
    has(orgId: string): boolean {
      return orgs.has(orgId);
    },
    /** A failure found here rather than in an answer, in ZITADEL's error shape. */
    error(type: string, id: string, message: string): void {
      errors.push({ $typeName: 'zitadel.admin.v1.ImportDataError', type, id, message });
    },
    report(sourceKind: Kind): MigrationReport {
      const response = create(ImportDataResponseSchema, { errors, success: { orgs: [...orgs.values()] } });
      const failedOrgs = new Set(errors.filter((e) => e.type === 'org').map((e) => e.id));
      let succeeded = 0n;
      for (const org of orgs.values()) {
        if (!failedOrgs.has(org.orgId)) succeeded++;
        for (const field of ImportDataSuccessOrgSchema.fields) {
          if (field.fieldKind === 'list') succeeded += BigInt((org[field.localName as keyof Message] as unknown as unknown[]).length);
        }
      }
      return {
        sourceKind,
        targetKind: 'zitadel',
        dryRun: false,
        totals: { succeeded, failed: BigInt(errors.length) },
        response,
        results: [],
      };
    },
  };
}

/** The report as the CLI prints it: totals, then one line per error. */
export function formatSummary(report: MigrationReport): string {
  const orgs = report.response.success?.orgs.length ?? 0;
  const lines = [
    `${report.dryRun ? 'dry run (nothing written): ' : ''}${orgs} org(s) imported`,
    Object.entries(report.totals)
      .map(([outcome, n]) => `${outcome} ${n}`)
      .join(', '),
  ];
  const errors = report.response.errors;
  if (errors.length > 0) {
    lines.push(`${errors.length} error(s):`);
    for (const e of errors) lines.push(`  ${e.type} ${e.id}: ${e.message}`);
  }
  return lines.join('\n');
}

/** True when the report has failed resources or errors (exit code 1). */
export function hasFailures(report: MigrationReport): boolean {
  return report.totals.failed > 0n || report.response.errors.length > 0;
}
