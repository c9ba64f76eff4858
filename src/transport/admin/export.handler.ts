import { create, fromJson, type JsonValue } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { type ExportDataRequest, ExportDataResponseSchema } from '../../../gen/zitadel/admin_pb.js';
import type { BlobTarget } from '../../application/ports.js';
import { invalidArgument } from '../../domain/errors.js';
import { callSignal } from '../call-signal.js';
import { principalOf } from '../interceptors/auth.interceptor.js';
import type { AdminUseCases } from '../use-cases.js';
import { s3Target } from './s3-target.js';

export function targetsOf(req: ExportDataRequest): BlobTarget[] {
  const targets: BlobTarget[] = [];
  if (req.localOutput) {
    if (!req.localOutput.path) throw invalidArgument('EXPORT-local-path', 'local_output.path is required');
    targets.push({ kind: 'local', path: req.localOutput.path });
  }
  if (req.gcsOutput) {
    const { bucket, path, serviceaccountJson } = req.gcsOutput;
    if (!bucket || !path) throw invalidArgument('EXPORT-gcs-target', 'gcs_output needs bucket and path');
    if (!serviceaccountJson) throw invalidArgument('EXPORT-gcs-credentials', 'gcs_output.serviceaccount_json is required');
    targets.push({ kind: 'gcs', bucket, path, serviceAccountJsonBase64: serviceaccountJson });
  }
  if (req.s3Output) targets.push(s3Target(req.s3Output, 's3_output', 'EXPORT-s3-target'));
  return targets;
}

/** ExportData: request → export use case → ExportDataResponse. */
export function createExportHandler(uc: AdminUseCases) {
  return async function exportData(req: ExportDataRequest, ctx: HandlerContext) {
    const result = await uc.exportData({
      orgIds: req.orgIds,
      excludedOrgIds: req.excludedOrgIds,
      withPasswords: req.withPasswords,
      withOtp: req.withOtp,
      toResponse: req.responseOutput,
      targets: targetsOf(req),
      signal: callSignal(ctx, req.timeout),
      principal: principalOf(ctx)?.userId ?? '',
    });
    if (result.json === undefined) return create(ExportDataResponseSchema);
    return fromJson(ExportDataResponseSchema, JSON.parse(result.json) as JsonValue);
  };
}
