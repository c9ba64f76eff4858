import type { AuditEntry } from './jobs/job-ports.js';
/**
 * The instance's directory behind ports: users, tokens, memberships and orgs, as the
 * directory use cases and the access checks see them. Re-exported by ports.ts, which the
 * use cases import from.
 */

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
  /** Removes every token carrying `scope` that expired at or before `now`; how many went. */
  pruneExpiredTokens(scope: string, now: Date): Promise<number>;

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
