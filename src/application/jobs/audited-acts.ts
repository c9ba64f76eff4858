import type { ExportCommand, ExportResult } from '../export/export-data.js';
import type { BlobTarget } from '../ports.js';
import type { AuditStore } from './job-ports.js';

/** A place, without credentials: what Job.source/target and the audit trail show. */
export function describeTarget(t: BlobTarget): string {
  switch (t.kind) {
    case 'local':
      return `local:${t.path}`;
    case 'gcs':
      return `gcs://${t.bucket}/${t.path}`;
    case 's3':
      return `s3://${t.endpoint}/${t.bucket}/${t.path}`;
  }
}

export type AuditedExport = ExportCommand & {
  /** Who asked for it (user id); '' for no one known. */
  principal: string;
  jobId?: string;
};

/**
 * Every export that completed leaves an audit event with its filters and outputs (never the
 * credentials of its targets). An export changes nothing, so the event follows it in its own
 * transaction; one that failed wrote nothing anywhere and leaves none.
 */
export function auditExports(exportData: (cmd: ExportCommand) => Promise<ExportResult>, audit: Pick<AuditStore, 'append'>) {
  return async function audited(cmd: AuditedExport): Promise<ExportResult> {
    const { principal, jobId, ...command } = cmd;
    const result = await exportData(command);
    const detail = {
      orgIds: cmd.orgIds,
      excludedOrgIds: cmd.excludedOrgIds,
      withPasswords: cmd.withPasswords,
      withOtp: cmd.withOtp,
      outputs: [...(cmd.toResponse ? ['response'] : []), ...cmd.targets.map(describeTarget)],
      orgCount: result.orgCount,
    };
    await audit.append([{ principal, ...(jobId ? { jobId } : {}), kind: 'export', outcome: 'done', detail: JSON.stringify(detail) }]);
    return result;
  };
}
