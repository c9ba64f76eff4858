/**
 * Interfaces the use cases need. Adapters in persistence/ and blob/ implement them; only
 * compose.ts wires them together.
 */

/** Where an export is written to or an import is read from. */
export type BlobTarget =
  | {
      kind: 'gcs';
      bucket: string;
      /** Object name inside the bucket. */
      path: string;
      /** Service-account JSON, base64-encoded, exactly as ZITADEL's GCSOutput/GCSInput carry it. Secret. */
      serviceAccountJsonBase64: string;
    }
  | {
      kind: 'local';
      /** Relative to the configured export (or import) directory; may not escape it. */
      path: string;
    };

/** Reads and writes whole blobs as byte streams, so big exports never sit in memory at once. */
export interface BlobStorage {
  /**
   * Writes every chunk, then makes the blob visible at once: on any failure or abort, nothing
   * (not even a partial blob) is left at the target.
   * Errors: DomainError InvalidArgument (bad target, bad credentials encoding), Unavailable
   * (storage unreachable), DeadlineExceeded when `signal` aborts.
   */
  write(target: BlobTarget, chunks: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<void>;

  /**
   * Streams the blob's bytes. Errors: InvalidArgument (bad target), NotFound (no such blob),
   * Unavailable (storage unreachable), DeadlineExceeded when `signal` aborts.
   */
  read(target: BlobTarget, signal: AbortSignal): AsyncIterable<Uint8Array>;
}

export type UserType = 'human' | 'machine';

export interface UserSummary {
  id: string;
  orgId: string;
  type: UserType;
  userName: string;
  state: string;
}

export interface OrgSummary {
  id: string;
  name: string;
  state: string;
  primaryDomain: string;
  createdAt: Date;
  changedAt: Date;
}

export interface PersonalAccessToken {
  id: string;
  userId: string;
  expiresAt: Date;
  scopes: string[];
  createdAt: Date;
}

export interface NewMachineUser {
  id: string;
  orgId: string;
  userName: string;
  name: string;
  description: string;
  accessTokenType: string;
}

/** A text condition as ZITADEL's TextQueryMethod expresses it. */
export interface TextMatch {
  value: string;
  method: 'equals' | 'startsWith' | 'contains' | 'endsWith';
  ignoreCase: boolean;
}

export interface OrgFilter {
  name?: TextMatch;
  domain?: TextMatch;
  idEquals?: string;
  state?: string;
  offset: number;
  limit: number;
  asc: boolean;
}

/** The instance's identity and access records (users, tokens, memberships, orgs). */
export interface DirectoryStore {
  findTokenByHash(tokenHash: string): Promise<{ token: PersonalAccessToken; user: UserSummary } | undefined>;
  rolesOf(userId: string): Promise<{ iam: string[]; orgs: Map<string, string[]> }>;

  getUser(userId: string): Promise<UserSummary | undefined>;
  /** Throws AlreadyExists when the id or (scoped) user name is taken. */
  addMachineUser(user: NewMachineUser): Promise<void>;
  /** Removes the user with its tokens, secrets and memberships. */
  removeUser(userId: string): Promise<boolean>;

  addToken(token: PersonalAccessToken, tokenHash: string): Promise<void>;
  listTokens(userId: string, page: { offset: number; limit: number; asc: boolean }): Promise<{ total: number; items: PersonalAccessToken[] }>;
  removeToken(userId: string, tokenId: string): Promise<boolean>;

  /** Sets (replaces) the user's instance-level roles. */
  setIamMember(userId: string, roles: string[]): Promise<'created' | 'updated'>;
  setOrgMember(orgId: string, userId: string, roles: string[]): Promise<void>;

  getOrg(orgId: string): Promise<OrgSummary | undefined>;
  createOrg(org: { id: string; name: string }): Promise<void>;
  listOrgs(filter: OrgFilter): Promise<{ total: number; items: OrgSummary[] }>;

  getInstance(): Promise<{ defaultOrgId: string; adminUserId: string } | undefined>;
  saveInstance(instance: { defaultOrgId: string; adminUserId: string }): Promise<void>;
}

/** Runs work atomically; nested calls become savepoints. */
export interface UnitOfWork {
  transactional<T>(work: (stores: { directory: DirectoryStore }) => Promise<T>): Promise<T>;
}

export interface Clock {
  now(): Date;
}
