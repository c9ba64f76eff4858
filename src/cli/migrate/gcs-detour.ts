import * as grpc from '@grpc/grpc-js';
import type { DataOrg } from '../../../gen/zitadel/admin_pb.js';
import { createGcsBlobStorage } from '../../blob/gcs.js';
import { spoolBlob } from '../../blob/spool.js';
import { isDomainError } from '../../domain/errors.js';
import { exportFileOrgs } from '../../transport/codec/export-file-orgs.js';
import { GrpcError } from '../grpc-client.js';
import { MigrationError } from './types.js';

/** `--via-gcs BUCKET/PATH --gcs-service-account FILE`: where the source writes its export. */
export interface GcsDetour {
  bucket: string;
  path: string;
  /** The service-account JSON, base64-encoded as ZITADEL's GCSOutput carries it. Secret. */
  serviceAccountJsonBase64: string;
}

/** `BUCKET/PATH` → bucket and object name, or undefined when it has no object name. */
export function parseGcsLocation(value: string): { bucket: string; path: string } | undefined {
  const rest = value.replace(/^gs:\/\//, '');
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  return { bucket: rest.slice(0, slash), path: rest.slice(slash + 1) };
}

/**
 * Reads back the export the source wrote to GCS (ZITADEL's `gcs_output`: an ExportDataResponse
 * as protojson), org by org: downloaded once into a private temp copy (removed at the end),
 * checked and indexed, then read org by org, item by item (export-file-orgs.ts): memory holds
 * one org as a message, however big the object, and no org is too big. The GCS client is
 * @google-cloud/storage with the same service account the source was given (or, with
 * STORAGE_EMULATOR_HOST set, the emulator).
 */
export async function* readGcsExport(detour: GcsDetour, signal: AbortSignal): AsyncGenerator<DataOrg> {
  const blobs = createGcsBlobStorage();
  const target = { kind: 'gcs' as const, ...detour };
  let blob: Awaited<ReturnType<typeof spoolBlob>> | undefined;
  try {
    blob = await spoolBlob(blobs.read(target, signal));
    yield* exportFileOrgs(blob);
  } catch (e) {
    if (isDomainError(e)) {
      const code = grpc.status[e.kind.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() as keyof typeof grpc.status] ?? grpc.status.UNKNOWN;
      throw new MigrationError('source', new GrpcError(code, `gs://${detour.bucket}/${detour.path}: ${e.message}`));
    }
    throw e;
  } finally {
    await blob?.close();
  }
}
