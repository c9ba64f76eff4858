import type { JsonObject } from '../domain/json.js';
import type { Ref } from '../domain/resources/kinds.js';
import type { AuditEntry } from './jobs/job-ports.js';

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
      kind: 's3';
      /** `host[:port]` as ZITADEL's S3Output/S3Input carry it (no scheme; `ssl` picks https). */
      endpoint: string;
      ssl: boolean;
      bucket: string;
      /** Object key inside the bucket. */
      path: string;
      /** Static credentials from the request, as in ZITADEL. Secret: never logged, stored or echoed. */
      accessKeyId: string;
      secretAccessKey: string;
    }
  | {
      kind: 'local';
      /** Relative to the configured export (or import) directory; may not escape it. */
      path: string;
    };

/** Reads and writes whole blobs as byte streams, so big exports never sit in memory at once. */
export interface BlobStorage {
  /**
   * Checks a target without touching storage (names, path, credentials encoding), so a bad
   * one is refused before any work starts. Throws DomainError InvalidArgument.
   */
  check(target: BlobTarget): void;

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
  listTokens(
    userId: string,
    page: { offset: number; limit: number; asc: boolean },
  ): Promise<{ total: number; items: PersonalAccessToken[] }>;
  removeToken(userId: string, tokenId: string): Promise<boolean>;

  /** Every holder of instance-level roles (a short list: admins, not users). */
  iamMembers(): Promise<{ userId: string; roles: string[] }[]>;
  /** Sets (replaces) the user's instance-level roles. */
  setIamMember(userId: string, roles: string[]): Promise<'created' | 'updated'>;
  setOrgMember(orgId: string, userId: string, roles: string[]): Promise<void>;

  getOrg(orgId: string): Promise<OrgSummary | undefined>;
  createOrg(org: { id: string; name: string }): Promise<void>;
  listOrgs(filter: OrgFilter): Promise<{ total: number; items: OrgSummary[] }>;

  getInstance(): Promise<{ defaultOrgId: string; adminUserId: string } | undefined>;
  saveInstance(instance: { defaultOrgId: string; adminUserId: string }): Promise<void>;
}

/** Appends to the audit trail in the unit of work's transaction (see jobs/job-ports.ts AuditStore). */
export interface AuditLog {
  append(entries: readonly AuditEntry[]): Promise<void>;
}

/** Runs work atomically; nested calls become savepoints. */
export interface UnitOfWork {
  transactional<T>(work: (stores: { directory: DirectoryStore; audit: AuditLog }) => Promise<T>): Promise<T>;
}

export interface Clock {
  now(): Date;
}

/** A user's secrets, kept apart from the user row. Never logged. */
export interface UserSecrets {
  passwordHash: string | null;
  otpSecret: string | null;
}

/** One resource as stored: its canonical proto-JSON item, plus secrets for human users. */
export interface StoredResource {
  item: JsonObject;
  secrets?: UserSecrets;
  /** The org the stored row belongs to (filled by lookups, ignored on writes). */
  orgId?: string;
}

/** One stored resource as export reads it. */
export interface ExportRow {
  json: string;
  secrets?: UserSecrets;
}

/** Writes resources of one org inside the org's transaction. */
export interface ResourceWriter {
  /**
   * Which of these references exist in the database, as `${kind}:${id}` keys and, with the
   * org that holds each, `${kind}:${id}@${org}` keys.
   */
  existingRefs(refs: readonly Ref[]): Promise<Set<string>>;
  /** The stored resources that have the same key as any of `items`. */
  findExisting(kind: string, orgId: string, items: readonly JsonObject[]): Promise<StoredResource[]>;
  /**
   * Inserts many rows at once. Rows that collide with a unique rule (a taken user name, a
   * verified domain of another org) are not inserted; their indexes in `rows` are returned.
   */
  insert(
    kind: string,
    orgId: string,
    rows: readonly StoredResource[],
    options?: {
      /** false: a plain insert that throws on any clash (faster when none are expected). */
      detectConflicts?: boolean;
    },
  ): Promise<{ conflicts: number[] }>;
  /** Replaces the stored resource with the same key. */
  replace(kind: string, orgId: string, row: StoredResource): Promise<void>;
  /** The user-name uniqueness scope of an org, given its (already written) domain policy. */
  userNameScope(orgId: string): Promise<string>;
  /** Runs `work` in a savepoint: if it throws, only its writes are rolled back. */
  savepoint<T>(work: (writer: ResourceWriter) => Promise<T>): Promise<T>;
  /**
   * Waits until no other transaction writes this org, and holds it until this transaction ends
   * (a transaction-scoped advisory lock): imports of the same org run one after the other.
   */
  lockOrg(orgId: string): Promise<void>;
}

/** Reads resources for export. */
export interface ResourceReader {
  /** All org ids, in a stable order. */
  orgIds(): Promise<string[]>;
  /**
   * Streams one kind of one org, in key order, as stored JSON text (canonical proto-JSON);
   * secrets only when asked for.
   */
  read(kind: string, orgId: string, secrets: { passwords: boolean; otp: boolean }): AsyncIterable<ExportRow>;
}

export interface ResourceTransactions {
  /** One transaction per org and pass; with `rollback`, nothing is kept (dry run). */
  write<T>(signal: AbortSignal, options: { rollback: boolean }, work: (writer: ResourceWriter) => Promise<T>): Promise<T>;
  /**
   * Refreshes the planner's statistics after a bulk load: until autovacuum gets to it, a
   * table that grew from nothing to a million rows is planned as if empty.
   */
  analyze(): Promise<void>;
  /** A consistent snapshot (REPEATABLE READ, read only) for a whole export. */
  read<T>(signal: AbortSignal, work: (reader: ResourceReader) => Promise<T>): Promise<T>;
}

/** A stored human user with what belongs to it (metadata, links), as the Kratos identity API reads it. */
export interface StoredHumanUser {
  id: string;
  orgId: string;
  /** zitadel.v1.DataHumanUser without secrets. */
  item: JsonObject;
  createdAt: Date;
  changedAt: Date;
  /** zitadel.v1.DataUserMetadata items, by key. */
  metadata: JsonObject[];
  /** zitadel.idp.v1.IDPUserLink items. */
  links: JsonObject[];
  /** Whether the user has a password / an OTP secret (known without reading either). */
  has: { password: boolean; otp: boolean };
  /** Only when the caller asked for secrets. */
  secrets?: UserSecrets;
}

export interface HumanUserQuery {
  /** Keyset pagination: users with ids after this one, in id order. */
  afterId?: string;
  limit: number;
  orgId?: string;
  ids?: readonly string[];
  /** Exact match on the user name or email, case-insensitive. */
  identifier?: string;
}

/**
 * Reads human users one by one or a page at a time (the Kratos identity API's view). Secrets
 * only when `secrets` is true: the caller has checked the secrets permission.
 */
export interface HumanUserReader {
  get(id: string, secrets: boolean): Promise<StoredHumanUser | undefined>;
  list(query: HumanUserQuery, secrets: boolean): Promise<StoredHumanUser[]>;
}

/** Client secrets of machine users (client credentials), as hashes; the secret itself is shown once. */
export interface MachineSecretStore {
  /** Sets (replaces) the machine user's secret hash. */
  setSecretHash(userId: string, hash: string): Promise<void>;
  /** The active or inactive machine user with this user name (case-insensitive), and its secret hash. */
  findByClientId(clientId: string): Promise<{ user: UserSummary; secretHash: string | null }[]>;
}

/** Realm settings that have no ZITADEL counterpart, kept with the org they belong to. */
export interface RealmSettingsStore {
  get(orgId: string): Promise<JsonObject | undefined>;
  put(orgId: string, settings: JsonObject): Promise<void>;
}

/** One condition the service needs to take traffic (the database reachable, not draining, …). */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves true when the condition holds; false or a rejection means not ready. */
  check(signal: AbortSignal): Promise<boolean>;
}

/** Whether the database answers at all (a trivial query), for readiness. */
export interface DatabaseProbe {
  ping(signal: AbortSignal): Promise<void>;
}
