import type { JsonObject } from '../domain/json.js';
import type { Ref, ResourceType } from '../domain/resources/kinds.js';
import type { UserSummary } from './directory-ports.js';
import type { ItemResult, PackedOutcomes } from './import/import-report.js';

/**
 * Interfaces the use cases need. Adapters in persistence/, blob/ and transport/codec implement them; only
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

  /**
   * What identifies this version of the blob, from its metadata without reading it (local: size,
   * mtime and inode; GCS: generation, md5Hash, size, etag; S3: ETag and size): equal
   * fingerprints mean the same bytes. Errors as for `read`.
   */
  describe(target: BlobTarget, signal: AbortSignal): Promise<BlobFingerprint>;

  /**
   * Opens the blob for a reader that reads it once in order and then comes back to parts of
   * it (an import file: checked and indexed, then read item by item). A local file is read in
   * place; a remote blob is downloaded once, into a private temp file. Errors as `read`.
   */
  open(target: BlobTarget, signal: AbortSignal): Promise<OpenedBlob>;
}

/** Bytes readable at any offset. */
export interface RandomAccessFile {
  /** `length` bytes from `position` (fewer only where the file ends). */
  read(position: number, length: number): Promise<Uint8Array>;
}

/** A blob opened for an import (BlobStorage.open). */
export interface OpenedBlob {
  /** The whole blob in order, once. */
  bytes: AsyncIterable<Uint8Array>;
  /** The same bytes at any offset, once `bytes` has been read to its end. */
  file(): RandomAccessFile;
  /** Closes the file and removes any temp copy: call it when the import ends, however it ends. */
  close(): Promise<void>;
}

/** A blob version's metadata as strings by name; none of it is secret. */
export type BlobFingerprint = Readonly<Record<string, string>>;

/** The directory's ports (users, tokens, memberships, orgs), kept in their own file for size. */
export type * from './directory-ports.js';

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
  /**
   * `JSON.stringify(item)`, when the caller made it already (an import job digests it): a store
   * that writes the item as JSON text takes it rather than making it a second time.
   */
  json?: string;
}

/** One stored resource as export reads it. */
export interface ExportRow {
  json: string;
  secrets?: UserSecrets;
}

/** Writes resources of one org inside the org's transaction. */
/**
 * A bulk write left open while the import reads and prepares the next batch, so the database
 * stores one batch while idport prepares the next (ResourceWriter.openBulk).
 */
/** What a bulk write stored: its rows, and their items' size as proto-JSON in UTF-8 (what /metrics counts). */
export interface BulkWritten {
  rows: number;
  bytes: number;
}

export interface BulkWrite {
  /** Encodes these rows and sends them now, without waiting for the database. */
  add(rows: readonly StoredResource[]): void;
  /** Resolves once every row added is stored; rejects (a clash, a refused value, a fault) with none of them kept. */
  close(): Promise<BulkWritten>;
  /** Drops every row added, for a pass that is failing anyway: none of them is kept. */
  abort(): Promise<void>;
}

export interface ResourceWriter {
  /**
   * Which of these references exist in the database, as `${kind}:${id}` keys and, with the
   * org that holds each, `${kind}:${id}@${org}` keys.
   */
  existingRefs(refs: readonly Ref[]): Promise<Set<string>>;
  /** The stored resources that have the same key as any of `items`. */
  findExisting(kind: ResourceType, orgId: string, items: readonly JsonObject[]): Promise<StoredResource[]>;
  /**
   * Inserts many rows at once. Rows that collide with a unique rule (a taken user name, a
   * verified domain of another org) are not inserted; their indexes in `rows` are returned.
   */
  insert(
    kind: ResourceType,
    orgId: string,
    rows: readonly StoredResource[],
    options?: {
      /** false: a plain insert that throws on any clash (faster when none are expected). */
      detectConflicts?: boolean;
    },
  ): Promise<{ conflicts: number[] }>;
  /**
   * Opens a bulk write of one kind's rows for an org this import created: written as fast as
   * the store can (COPY on PostgreSQL), all or nothing, in its own savepoint. Until it is
   * closed or aborted, nothing else may be asked of this writer.
   */
  openBulk(kind: ResourceType, orgId: string): Promise<BulkWrite>;
  /** Replaces the stored resource with the same key. */
  replace(kind: ResourceType, orgId: string, row: StoredResource): Promise<void>;
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
   * secrets only when asked for. Rows come in batches as the database hands them over (a COPY
   * chunk, a cursor page): one await per batch, not per row, which a CPU profile of the export
   * showed as its largest cost (issue 10). `kind` is a ResourceType; it stays a string here
   * because test doubles wrap this method with plain strings, and the adapter refuses any other.
   */
  read(kind: string, orgId: string, secrets: { passwords: boolean; otp: boolean }): AsyncIterable<ExportRow[]>;
}

export interface ResourceTransactions {
  /** One transaction per org and pass; with `rollback`, nothing is kept (dry run). */
  write<T>(signal: AbortSignal, options: { rollback: boolean }, work: (writer: ResourceWriter) => Promise<T>): Promise<T>;
  /**
   * Refreshes the planner's statistics after a bulk load: until autovacuum gets to it, a
   * table that grew from nothing to a million rows is planned as if empty. It may answer
   * before the refresh is done (persistence/resources/statistics-behind.ts): a `read` begun
   * afterwards still waits for it.
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

/** The import source's ports (file codec, orgs as their passes read them), kept in their own file for size. */
export type * from './import-ports.js';

/** Hashes imported plaintext passwords and checks them against stored hashes. */
export interface PasswordHasher {
  hash(plain: string): Promise<string>;
  verify(plain: string, encoded: string): Promise<boolean>;
}

/**
 * Where an import's per-resource outcomes go, each once the transaction that decided it has
 * committed (a dry run: once its pass is done). The synchronous RPCs collect them into the
 * response (application/import/report-collector.ts); a background job would store them.
 */
export interface ImportReportSink {
  add(result: ItemResult): void;
  /**
   * A committed pass's outcomes at once, as the session packed them: a collector keeps its runs
   * as they are instead of expanding and packing every success again (that cost a tenth of a
   * 200,000-user import's CPU in a profile; issue 10). A sink without it is given each outcome.
   */
  addAll?(results: PackedOutcomes): void;
}

/** Whether the database answers at all (a trivial query), for readiness. */
export interface DatabaseProbe {
  ping(signal: AbortSignal): Promise<void>;
}
