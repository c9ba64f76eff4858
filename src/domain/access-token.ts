import { createHash, randomBytes } from 'node:crypto';

/**
 * Personal access tokens are 256 bits of randomness, shown once. Only a SHA-256 digest is
 * stored: with that much entropy a slow password hash adds nothing, and lookups stay O(1).
 */
export function newAccessToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashAccessToken(token) };
}

export function hashAccessToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** ZITADEL caps PAT lifetime at year 9999; we reject dates in the past instead of minting dead tokens. */
export const DEFAULT_TOKEN_LIFETIME_MS = 365 * 24 * 3_600_000;
