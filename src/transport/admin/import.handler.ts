import type { HandlerContext } from '@connectrpc/connect';
import type { ImportDataRequest } from '../../../gen/zitadel/admin_pb.js';
import type { ConflictPolicy, ImportSource } from '../../application/import/import-data.js';
import { invalidArgument } from '../../domain/errors.js';
import { callSignal } from '../call-signal.js';
import { adminOrgsToJson, v1OrgsToJson } from '../codec/data-org.js';
import type { AdminUseCases } from '../use-cases.js';
import { importResponse } from './import-response.js';
import { s3Target } from './s3-target.js';

const POLICIES: readonly ConflictPolicy[] = ['fail', 'skip', 'overwrite'];

/**
 * idport's import options ride in headers on ZITADEL's own RPC, so ZITADEL's messages stay
 * untouched: `x-idport-conflict-policy: fail|skip|overwrite` and `x-idport-dry-run: true`.
 */
export function importOptions(header: Headers): { conflictPolicy: ConflictPolicy; dryRun: boolean } {
  const policy = (header.get('x-idport-conflict-policy') ?? 'fail').toLowerCase();
  if (!POLICIES.includes(policy as ConflictPolicy)) {
    throw invalidArgument('IMPORT-policy', `x-idport-conflict-policy must be one of ${POLICIES.join(', ')}`);
  }
  const dry = (header.get('x-idport-dry-run') ?? 'false').toLowerCase();
  if (dry !== 'true' && dry !== 'false') throw invalidArgument('IMPORT-dry-run', 'x-idport-dry-run must be true or false');
  return { conflictPolicy: policy as ConflictPolicy, dryRun: dry === 'true' };
}

/** ImportDataRequest's data → the import's source, as plain data (the codec port reads files). */
export function importSource(req: ImportDataRequest): ImportSource {
  const data = req.data;
  switch (data.case) {
    case 'dataOrgs':
      return { kind: 'inline', orgs: adminOrgsToJson(data.value) };
    case 'dataOrgsv1':
      return { kind: 'inline', orgs: v1OrgsToJson(data.value) };
    case 'dataOrgsLocal':
    case 'dataOrgsv1Local': {
      if (!data.value.path) throw invalidArgument('IMPORT-local-path', `${data.case}.path is required`);
      const shape = data.case === 'dataOrgsLocal' ? 'admin' : 'v1';
      return { kind: 'blob', target: { kind: 'local', path: data.value.path }, shape };
    }
    case 'dataOrgsGcs':
    case 'dataOrgsv1Gcs': {
      const { bucket, path, serviceaccountJson } = data.value;
      if (!bucket || !path || !serviceaccountJson) {
        throw invalidArgument('IMPORT-gcs', `${data.case} needs bucket, path and serviceaccount_json`);
      }
      const shape = data.case === 'dataOrgsGcs' ? 'admin' : 'v1';
      return { kind: 'blob', target: { kind: 'gcs', bucket, path, serviceAccountJsonBase64: serviceaccountJson }, shape };
    }
    case 'dataOrgsS3':
    case 'dataOrgsv1S3': {
      const field = data.case === 'dataOrgsS3' ? 'data_orgs_s3' : 'data_orgsv1_s3';
      const shape = data.case === 'dataOrgsS3' ? 'admin' : 'v1';
      return { kind: 'blob', target: s3Target(data.value, field, 'IMPORT-s3'), shape };
    }
    default:
      throw invalidArgument('IMPORT-no-data', 'no data: set data_orgs, data_orgsv1 or one of the local, S3 or GCS inputs');
  }
}

/**
 * ImportData. Unlike ZITADEL, GCS and local-file imports also answer with the full report
 * (ZITADEL returns at once and imports in the background): callers learn what failed.
 */
export function createImportHandler(uc: AdminUseCases) {
  return async function importData(req: ImportDataRequest, ctx: HandlerContext) {
    const report = await uc.importData({
      source: importSource(req),
      ...importOptions(ctx.requestHeader),
      signal: callSignal(ctx, req.timeout),
    });
    return importResponse(report);
  };
}
