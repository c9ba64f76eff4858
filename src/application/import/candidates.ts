import { DomainError, isDomainError } from '../../domain/errors.js';
import { canonicalJson, type JsonObject } from '../../domain/json.js';
import type { ResourceKind } from '../../domain/resources/kinds.js';
import { type PreparedResource, prepareResource, type Secrets } from '../../domain/resources/prepare.js';
import type { PasswordHasher, StoredResource } from '../ports.js';
import { checkDeadline } from './deadline.js';
import { nameless, positionName, withGeneratedId } from './item-names.js';

/** Plaintext passwords hashed at once: enough to keep libuv's four pool threads busy. */
const HASH_PARALLELISM = 8;

/** One resource of the import, checked and split (prepared) and named by its composite id. */
export interface Candidate {
  id: string;
  prepared: PreparedResource;
  /** The item as given (with a generated user id, if it had none). */
  original: JsonObject;
}

/** Reports one resource that will not be written. */
export type Reject = (c: { id: string; original: JsonObject }, error: DomainError) => void;

export const errorText = (e: DomainError) => `${e.message} (${e.id})`;

/**
 * Checks and prepares each item; an invalid one, or a second one with the same id, is
 * rejected alone and named by its id, or by its place in the list when its id is incomplete.
 * A list may come in several batches: `seen` holds the ids of the earlier ones, and `first`
 * is the place of `items[0]` in the list.
 */
export function prepareAll(
  kind: ResourceKind,
  items: readonly JsonObject[],
  orgId: string,
  reject: Reject,
  seen: Set<string> = new Set(),
  first = 0,
): Candidate[] {
  const out: Candidate[] = [];
  items.forEach((given, index) => {
    const original = withGeneratedId(kind, given, orgId);
    let id = kind.id(original, orgId);
    try {
      const prepared = prepareResource(kind, original);
      // Preparing can normalise what the id is made of (trigger types: enum names → ids).
      id = kind.id(prepared.item, orgId);
      if (seen.has(id)) throw new DomainError('InvalidArgument', 'IMPORT-duplicate', `${kind.type} ${id} appears twice in this import`);
      seen.add(id);
      out.push({ id, prepared, original });
    } catch (e) {
      if (!isDomainError(e)) throw e;
      reject({ id: nameless(id) ? positionName(kind, original, first + index) : id, original }, e);
    }
  });
  return out;
}

/**
 * Whether the stored resource equals the candidate: content, then secrets. A plaintext
 * password is checked against the stored hash; a hash that cannot check it throws DomainError.
 */
export async function sameAs(c: Candidate, stored: StoredResource, hasher: PasswordHasher): Promise<boolean> {
  if (canonicalJson(c.prepared.item) !== canonicalJson(stored.item)) return false;
  const mine = c.prepared.secrets;
  if (!mine) return true;
  const theirs = stored.secrets ?? { passwordHash: null, otpSecret: null };
  if (mine.otpSecret !== theirs.otpSecret) return false;
  if (c.prepared.plaintextPassword !== undefined) {
    return theirs.passwordHash !== null && hasher.verify(c.prepared.plaintextPassword, theirs.passwordHash);
  }
  return mine.passwordHash === theirs.passwordHash;
}

/**
 * Hashes imported plaintext passwords with our own algorithm, a few at a time on the native
 * hasher's thread pool. The password policy is not applied on import on purpose (ZITADEL does the
 * same): users keep the password they had. A password the hasher refuses (over bcrypt's 72 bytes)
 * rejects its user alone; the rejected candidates are returned.
 */
export async function hashPasswords(
  candidates: readonly Candidate[],
  hasher: PasswordHasher,
  signal: AbortSignal,
  reject: Reject,
): Promise<Set<Candidate>> {
  const failed = new Set<Candidate>();
  const work = candidates.filter((c) => c.prepared.plaintextPassword !== undefined && c.prepared.secrets);
  for (let i = 0; i < work.length; i += HASH_PARALLELISM) {
    checkDeadline(signal, () => ({}));
    await Promise.all(
      work.slice(i, i + HASH_PARALLELISM).map(async (c) => {
        try {
          (c.prepared.secrets as Secrets).passwordHash = await hasher.hash(c.prepared.plaintextPassword as string);
        } catch (e) {
          if (!isDomainError(e)) throw e;
          failed.add(c);
          reject(c, e);
        }
      }),
    );
  }
  return failed;
}

/** What is stored for a candidate: the open item, and its secrets if it has any. */
export function storedOf(c: Candidate): StoredResource {
  return c.prepared.secrets ? { item: c.prepared.item, secrets: c.prepared.secrets } : { item: c.prepared.item };
}
