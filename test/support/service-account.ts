/**
 * Throwaway service-account JSON for tests: a fresh RSA key each run, so no real or shared
 * secret ever sits in the repository.
 */
import { generateKeyPairSync } from 'node:crypto';

/** The JSON object, for tests that need to break one field. */
export function fakeServiceAccount(projectId = 'demo-test'): Record<string, string> {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return {
    type: 'service_account',
    project_id: projectId,
    private_key_id: 'test-key',
    private_key: privateKey,
    client_email: `idport-test@${projectId}.iam.gserviceaccount.com`,
    client_id: '0',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
}

/** What ZITADEL's GCSOutput/GCSInput carry: the JSON, base64-encoded. */
export function fakeServiceAccountBase64(projectId = 'demo-test'): string {
  return Buffer.from(JSON.stringify(fakeServiceAccount(projectId))).toString('base64');
}
