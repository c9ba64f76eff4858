/**
 * ZITADEL's S3Output / S3Input (endpoint, access_key_id, secret_access_key, ssl, bucket, path)
 * as a blob target. Only presence is checked here; names, endpoint and the allow-list are the
 * S3 adapter's job (BlobStorage.check), which runs before any work starts. Messages name fields,
 * never their values: two of them are credentials.
 */
import type { BlobTarget } from '../../application/ports.js';
import { invalidArgument } from '../../domain/errors.js';

interface S3Fields {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  ssl: boolean;
  bucket: string;
  path: string;
}

/** `field` is the request's field name as the client wrote it (`s3_output`, `data_orgsv1_s3`, ...). */
export function s3Target(fields: S3Fields, field: string, errorId: string): Extract<BlobTarget, { kind: 's3' }> {
  const missing = (['endpoint', 'bucket', 'path', 'accessKeyId', 'secretAccessKey'] as const).filter((key) => fields[key] === '');
  if (missing.length > 0) {
    const names = missing.map((key) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    throw invalidArgument(errorId, `${field} needs ${names.join(', ')}`);
  }
  return {
    kind: 's3',
    endpoint: fields.endpoint,
    ssl: fields.ssl,
    bucket: fields.bucket,
    path: fields.path,
    accessKeyId: fields.accessKeyId,
    secretAccessKey: fields.secretAccessKey,
  };
}
