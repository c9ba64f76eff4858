import { create, fromJson, type JsonValue } from '@bufbuild/protobuf';
import {
  type StartExportRequest,
  StartExportRequestSchema,
  type StartImportRequest,
  StartImportRequestSchema,
} from '../../../gen/idport/v1/jobs_pb.js';
import { ImportDataRequestSchema } from '../../../gen/zitadel/admin_pb.js';
import type { AuditedExport } from '../../application/jobs/audited-acts.js';
import { describeTarget } from '../../application/jobs/audited-acts.js';
import type { ExportPlan, ImportPlan } from '../../application/jobs/job-runner.js';
import { parseDuration } from '../../domain/duration.js';
import { invalidArgument } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/json.js';
import { targetsOf } from '../admin/export.handler.js';
import { importSource } from '../admin/import.handler.js';
import { importOptions } from './migration.handler.js';

/**
 * What a stored job request means. The request is kept as the caller's proto-JSON, so any
 * replica (of any later version that still reads the proto) can run or resume it.
 */

const readImport = (request: JsonObject): StartImportRequest =>
  fromJson(StartImportRequestSchema, request as JsonValue, { ignoreUnknownFields: true });
const readExport = (request: JsonObject): StartExportRequest =>
  fromJson(StartExportRequestSchema, request as JsonValue, { ignoreUnknownFields: true });

function timeoutOf(timeout: string): number | undefined {
  return parseDuration(timeout);
}

export function createImportPlanner() {
  return function planImport(request: JsonObject): ImportPlan & { describe: string } {
    const req = readImport(request);
    const inner = req.request ?? create(ImportDataRequestSchema);
    const source = importSource(inner);
    const ms = timeoutOf(inner.timeout);
    const describe =
      source.kind === 'inline'
        ? `inline:${inner.data.case === 'dataOrgs' || inner.data.case === 'dataOrgsv1' ? inner.data.value.orgs.length : 0} orgs`
        : describeTarget(source.target);
    return { source, ...importOptions(req.options), ...(ms !== undefined ? { timeoutMs: ms } : {}), describe };
  };
}

export function createExportPlanner(exportData: (cmd: AuditedExport, onBytes: (n: number) => void) => Promise<{ orgCount: number }>) {
  return function planExport(request: JsonObject, job?: { id: string; principal: string }): ExportPlan & { describe: string } {
    const inner = readExport(request).request;
    if (!inner) throw invalidArgument('JOB-export-request', 'request is required');
    if (inner.responseOutput) {
      throw invalidArgument('JOB-export-response', 'an export job writes to a file, GCS or S3: response_output has no place to go');
    }
    const targets = targetsOf(inner);
    if (targets.length === 0) throw invalidArgument('JOB-export-output', 'choose an output: local_output, gcs_output or s3_output');
    const ms = timeoutOf(inner.timeout);
    return {
      describe: targets.map(describeTarget).join(', '),
      ...(ms !== undefined ? { timeoutMs: ms } : {}),
      run: (signal, onBytes) =>
        exportData(
          {
            orgIds: inner.orgIds,
            excludedOrgIds: inner.excludedOrgIds,
            withPasswords: inner.withPasswords,
            withOtp: inner.withOtp,
            toResponse: false,
            targets,
            signal,
            principal: job?.principal ?? '',
            ...(job ? { jobId: job.id } : {}),
          },
          onBytes,
        ),
    };
  };
}
