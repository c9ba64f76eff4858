import type { DataOrg } from '../../../gen/zitadel/admin_pb.js';
import { GrpcError } from '../grpc-client.js';
import type { MigrationReport } from './report.js';

/** What a side speaks: idport's own `idport.v1.MigrationService`, or only ZITADEL's admin API. */
export type Kind = 'idport' | 'zitadel';
export type Side = 'source' | 'target';

export interface Endpoint {
  /** `http://host:port` (plaintext HTTP/2) or `https://host[:port]` (TLS, system roots). */
  url: string;
  /** A PAT sent as `authorization: Bearer <token>`. Never printed. */
  token: string;
  /** Skips detection. */
  kind?: Kind;
}

/** One line of progress, per org (the CLI prints it on stderr). */
export interface ProgressEvent {
  side: Side;
  orgId: string;
  /** The org's name, when the side knows it. */
  orgName?: string;
  /**
   * read: from the source; sent: streamed to an idport target (its report comes at the end);
   * imported: written to a ZITADEL target in `calls` ImportData calls; later-passes: its
   * grants and members written, after every org's first pass.
   */
  step: 'read' | 'sent' | 'imported' | 'later-passes';
  resources: number;
  /** Calls (ImportData) or messages (StreamImport) the org took. */
  calls?: number;
  errors?: number;
  /** A source's read events: how many orgs it selected, when it knows before streaming them. */
  orgsTotal?: number;
}

/** A hook that returns a promise holds the migration until it settles (a renderer, a test's gate). */
export type Progress = (event: ProgressEvent) => void | Promise<void>;

/**
 * Where orgs come from: a sequence of DataOrg messages, each a whole org or a part of one;
 * the parts of one org are contiguous (merging them gives the org).
 */
export interface OrgSource {
  readonly kind: Kind;
  orgs(signal: AbortSignal): AsyncIterable<DataOrg>;
  close(): void;
}

/** Where orgs go: consumes a source's sequence and answers with the target's report. */
export interface OrgTarget {
  readonly kind: Kind;
  write(orgs: AsyncIterable<DataOrg>, signal: AbortSignal): Promise<MigrationReport>;
  close(): void;
}

/** A failed call on one side: `codeName` is the gRPC status name (`UNAUTHENTICATED`, `NOT_FOUND`, …). */
export class MigrationError extends Error {
  readonly side: Side;
  readonly code: number;
  readonly codeName: string;

  constructor(side: Side, cause: GrpcError, note = '') {
    super(`${side}: ${cause.message}${note}`, { cause });
    this.name = 'MigrationError';
    this.side = side;
    this.code = cause.code;
    this.codeName = cause.codeName;
  }
}

/** Wraps a GrpcError from `side` (anything else passes unchanged). */
export function onSide(side: Side, e: unknown, note = ''): unknown {
  return e instanceof GrpcError ? new MigrationError(side, e, note) : e;
}

/** A bad command line or a combination the sides cannot do: exit code 2 with the usage text. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
