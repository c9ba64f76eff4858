import { isJsonObject, type Json, type JsonObject } from '../../domain/json.js';

/**
 * Keycloak's password and OTP credentials ↔ idport's PHC hashes and base32 OTP secrets.
 * Keycloak's CredentialRepresentation keeps two JSON strings: `secretData`
 * (`{"value":"<base64 hash>","salt":"<base64 salt>","additionalParameters":{}}`) and
 * `credentialData` (`{"hashIterations":27500,"algorithm":"pbkdf2-sha256","additionalParameters":{}}`),
 * per keycloak/keycloak `PasswordCredentialData` / `PasswordSecretData`; argon2 (Keycloak 24+) puts
 * its memory, lanes, type and length in `additionalParameters` as string lists.
 */

const unpad = (b64: string) => b64.replace(/=+$/, '');
const pad = (b64: string) => b64 + '='.repeat((4 - (b64.length % 4)) % 4);
const toStd = (phc: string) => pad(phc);

function parseJsonString(value: Json | undefined): JsonObject | undefined {
  if (typeof value !== 'string') return isJsonObject(value) ? value : undefined;
  try {
    const parsed = JSON.parse(value) as Json;
    return isJsonObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const param = (params: JsonObject | undefined, key: string): string | undefined => {
  const v = params?.[key];
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : undefined;
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
};

/**
 * The PHC (or bcrypt modular) form of a Keycloak password credential, or why it has none.
 * The result still goes through idport's hash checks on import (password-hash.ts).
 */
export function keycloakPasswordToPhc(cred: JsonObject): { hash: string } | { problem: string } {
  const secret = parseJsonString(cred.secretData);
  const data = parseJsonString(cred.credentialData);
  const value = typeof secret?.value === 'string' ? secret.value : '';
  const salt = typeof secret?.salt === 'string' ? secret.salt : '';
  const algorithm = typeof data?.algorithm === 'string' ? data.algorithm : '';
  const iterations = typeof data?.hashIterations === 'number' ? data.hashIterations : Number.NaN;
  const extra = isJsonObject(data?.additionalParameters) ? data.additionalParameters : undefined;
  if (!value) return { problem: 'password credential has no secretData.value' };
  if (algorithm === 'bcrypt') return { hash: value };
  if (algorithm === 'pbkdf2-sha256' || algorithm === 'pbkdf2-sha512' || algorithm === 'pbkdf2') {
    const digest = algorithm === 'pbkdf2' ? 'sha1' : algorithm.slice('pbkdf2-'.length);
    if (digest === 'sha1') return { problem: 'pbkdf2 with HMAC-SHA1 hashes are not accepted' };
    const length = Buffer.from(value, 'base64').length;
    return { hash: `$pbkdf2-${digest}$i=${iterations},l=${length}$${unpad(salt)}$${unpad(value)}` };
  }
  if (algorithm === 'argon2') {
    const type = param(extra, 'type') ?? 'id';
    const version = param(extra, 'version') === '1.0' ? 16 : 19;
    const m = param(extra, 'memory') ?? '7168';
    const p = param(extra, 'parallelism') ?? '1';
    return { hash: `$argon2${type}$v=${version}$m=${m},t=${iterations},p=${p}$${unpad(salt)}$${unpad(value)}` };
  }
  return { problem: `password algorithm "${algorithm || 'none'}" cannot be carried` };
}

/** A Keycloak password credential (`secretData` / `credentialData`) from a PHC hash, or undefined. */
export function phcToKeycloakPassword(hash: string): { secretData: string; credentialData: string } | undefined {
  if (/^\$2[aby]\$/.test(hash)) {
    return {
      secretData: JSON.stringify({ value: hash, salt: '', additionalParameters: {} }),
      credentialData: JSON.stringify({ hashIterations: Number(hash.slice(4, 6)), algorithm: 'bcrypt', additionalParameters: {} }),
    };
  }
  const pbkdf2 = /^\$pbkdf2-(sha256|sha512)\$i=(\d+)(?:,l=\d+)?\$([^$]*)\$([^$]+)$/.exec(hash);
  if (pbkdf2) {
    return {
      secretData: JSON.stringify({ value: toStd(pbkdf2[4] ?? ''), salt: toStd(pbkdf2[3] ?? ''), additionalParameters: {} }),
      credentialData: JSON.stringify({ hashIterations: Number(pbkdf2[2]), algorithm: `pbkdf2-${pbkdf2[1]}`, additionalParameters: {} }),
    };
  }
  const argon = /^\$argon2(id|i|d)\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([^$]*)\$([^$]+)$/.exec(hash);
  if (argon) {
    const key = argon[7] ?? '';
    return {
      secretData: JSON.stringify({ value: toStd(key), salt: toStd(argon[6] ?? ''), additionalParameters: {} }),
      credentialData: JSON.stringify({
        hashIterations: Number(argon[4]),
        algorithm: 'argon2',
        additionalParameters: {
          hashLength: [String(Buffer.from(key, 'base64').length)],
          memory: [argon[3] ?? ''],
          type: [argon[1] ?? ''],
          version: [argon[2] === '16' ? '1.0' : '1.3'],
          parallelism: [argon[5] ?? ''],
        },
      }),
    };
  }
  return undefined;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Keycloak keeps an OTP secret as the raw key text; authenticator apps (and idport) use its base32 form. */
export function otpValueToBase32(value: string): string {
  let bits = '';
  for (const b of Buffer.from(value, 'utf8')) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += BASE32[Number.parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}

export function base32ToOtpValue(secret: string): string {
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) bits += BASE32.indexOf(c).toString(2).padStart(5, '0');
  const bytes: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(Number.parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes).toString('utf8');
}
