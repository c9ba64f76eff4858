import type { UserSecrets } from '../../application/ports.js';
import { DomainError } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/json.js';
import { type SecretCipher, type SecretFieldPaths, SecretKeyError } from '../../domain/sealed-secret.js';
import { mayHoldSecrets, openPayload, sealPayload, stripPayload } from './payload-secrets.js';

/**
 * What the resource stores do with secrets at the database boundary: seal on the way in, open
 * (or leave out) on the way out. Password hashes and machine client-secret hashes are one-way
 * hashes already and are stored as they are; OTP seeds and payload secrets (IdP client
 * secrets, any field marked secret in the protos) are sealed.
 */
export interface SecretsAtRest {
  sealItem(kind: string, item: JsonObject): JsonObject;
  openItem(kind: string, item: JsonObject): JsonObject;
  /**
   * A stored payload text for export: secret fields opened when `withSecrets`, left out
   * otherwise. Texts with nothing sealed go out untouched (no parse for the common case).
   */
  exportJson(kind: string, json: string, withSecrets: boolean): string;
  sealOtp(otp: string | null): string | null;
  /** The user's secrets as stored columns → plaintext (hash as is, OTP seed opened). */
  openUserSecrets(row: { password_hash?: string | null; otp_secret?: string | null }): UserSecrets;
  /**
   * A free-form document sealed whole, as `{"sealed": "enc:…"}`: for stored JSON with no proto
   * to mark its secrets (a Keycloak realm's kept settings hold IdP client secrets, the SMTP
   * password and key providers' private keys, in places no list can name reliably).
   */
  sealDocument(document: JsonObject): JsonObject;
  /** The document back; a legacy document stored in clear comes back as it is. */
  openDocument(stored: JsonObject): JsonObject;
}

/** Whether a stored document has the sealed shape (`{"sealed": "enc:…"}`). */
export function isSealedDocument(stored: JsonObject): stored is { sealed: string } {
  return Object.keys(stored).length === 1 && typeof stored.sealed === 'string' && stored.sealed.startsWith('enc:');
}

/**
 * A secret that cannot be opened at run time. Every start opens all of them first (reseal.ts),
 * so this means another replica sealed with a key this one lacks: replicas must share
 * IDPORT_SECRETS_KEY.
 */
function unreadable(e: unknown): never {
  if (e instanceof SecretKeyError) throw new DomainError('Internal', 'SECRETS-key', e.message, { cause: e });
  throw e;
}

export function createSecretsAtRest(cipher: SecretCipher, paths: SecretFieldPaths): SecretsAtRest {
  const of = (kind: string) => paths[kind] ?? [];
  const open = (s: string) => {
    try {
      return cipher.open(s);
    } catch (e) {
      return unreadable(e);
    }
  };
  const opened = (kind: string, item: JsonObject) => {
    try {
      return openPayload(item, of(kind), cipher);
    } catch (e) {
      return unreadable(e);
    }
  };
  return {
    sealItem: (kind, item) => sealPayload(item, of(kind), cipher),
    openItem: opened,
    exportJson(kind, json, withSecrets) {
      if (of(kind).length === 0 || !mayHoldSecrets(json)) return json;
      const item = JSON.parse(json) as JsonObject;
      return JSON.stringify(withSecrets ? opened(kind, item) : stripPayload(item, of(kind)));
    },
    sealOtp: (otp) => (otp ? cipher.seal(otp) : otp),
    openUserSecrets: (row) => ({
      passwordHash: row.password_hash ?? null,
      otpSecret: row.otp_secret ? open(row.otp_secret) : null,
    }),
    sealDocument: (document) => ({ sealed: cipher.seal(JSON.stringify(document)) }),
    openDocument: (stored) => (isSealedDocument(stored) ? (JSON.parse(open(stored.sealed)) as JsonObject) : stored),
  };
}
