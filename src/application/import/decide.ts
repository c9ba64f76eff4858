import type { ResourceType } from '../../domain/resources/kinds.js';

/** What to do when a resource exists with different content. */
export type ConflictPolicy = 'fail' | 'skip' | 'overwrite';

/** A resource of the import, ready to be written. */
export interface Decidable {
  type: ResourceType;
  /** ZITADEL's composite id. */
  id: string;
  /** The org being imported. */
  orgId: string;
}

/** The stored resource with the same key, compared with the candidate. */
export interface StoredState {
  /** The org it belongs to; undefined when the lookup does not say. */
  orgId: string | undefined;
  /** Same content and secrets (only compared for a resource of the same org). */
  same: boolean;
}

/**
 * What the import does with one resource. A report names which version of the item its
 * success list shows (`shows`), and whether the resource is in the database all the same
 * (`present`: a conflicting one was kept), so that dependents may refer to it.
 */
export type Decision =
  | { action: 'insert' }
  | { action: 'replace' }
  | {
      action: 'report';
      outcome: 'unchanged' | 'skipped' | 'failed';
      message?: string;
      present: boolean;
      shows: 'prepared' | 'stored' | 'given';
    };

/**
 * Decides one resource from what is stored and the conflict policy, with no I/O: everything
 * it needs (ownership, equality) is found out before, so the rules read as a table and are
 * tested as one (test/unit/application/decide.test.ts).
 */
export function decide(candidate: Decidable, stored: StoredState | undefined, policy: ConflictPolicy): Decision {
  if (!stored) return { action: 'insert' };
  const { type, id } = candidate;
  if (stored.orgId !== undefined && stored.orgId !== candidate.orgId) {
    const message = `${type} ${id} already exists in another organisation (IMPORT-other-org)`;
    return { action: 'report', outcome: 'failed', message, present: false, shows: 'given' };
  }
  if (stored.same) return { action: 'report', outcome: 'unchanged', present: true, shows: 'prepared' };
  switch (policy) {
    case 'overwrite':
      return { action: 'replace' };
    case 'skip': {
      const message = 'exists with different content; kept as it is (conflict policy skip)';
      return { action: 'report', outcome: 'skipped', message, present: true, shows: 'stored' };
    }
    case 'fail': {
      // It failed to import, but a resource with this id is in the database: dependents may use it.
      const message = `${type} ${id} already exists with different content (IMPORT-conflict)`;
      return { action: 'report', outcome: 'failed', message, present: true, shows: 'given' };
    }
  }
}
