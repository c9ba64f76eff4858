/**
 * Decodes the service-account JSON that ZITADEL's GCSOutput/GCSInput carry base64-encoded.
 * Every message here is fixed text: neither the input nor a parser's message (JSON.parse quotes
 * the text it choked on) may reach an error, because the input is a private key.
 */
import { createPrivateKey } from 'node:crypto';
import { invalidArgument } from '../domain/errors.js';

export interface ServiceAccount {
  readonly projectId: string;
  readonly clientEmail: string;
  readonly privateKey: string;
}

// Standard alphabet with padding, as Go's base64.StdEncoding (which ZITADEL decodes with)
// expects. That decoder skips \r and \n, so wrapped output of `base64 key.json` is accepted too.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function parseServiceAccount(base64: string): ServiceAccount {
  const compact = base64.replace(/[\r\n]/g, '');
  if (compact === '' || !BASE64.test(compact)) {
    throw invalidArgument('BLOB-gcs-sa-base64', 'serviceAccountJson is not valid base64');
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(compact, 'base64').toString('utf8'));
  } catch {
    throw invalidArgument('BLOB-gcs-sa-json', 'serviceAccountJson does not decode to JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalidArgument('BLOB-gcs-sa-json', 'serviceAccountJson does not decode to a JSON object');
  }
  const fields = json as Record<string, unknown>;
  const missing = ['client_email', 'private_key', 'project_id'].filter((key) => typeof fields[key] !== 'string' || fields[key] === '');
  if (missing.length > 0) {
    throw invalidArgument('BLOB-gcs-sa-fields', `serviceAccountJson lacks ${missing.join(', ')}`);
  }
  const privateKey = fields.private_key as string;
  // Parsing the key now turns a broken key into InvalidArgument here, instead of an opaque
  // signing error from inside the SDK on the first request.
  try {
    createPrivateKey(privateKey);
  } catch {
    throw invalidArgument('BLOB-gcs-sa-key', 'serviceAccountJson private_key is not a PEM private key');
  }
  return {
    projectId: fields.project_id as string,
    clientEmail: fields.client_email as string,
    privateKey,
  };
}
