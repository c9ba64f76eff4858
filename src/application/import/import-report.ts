import type { JsonObject } from '../../domain/json.js';
import type { ResourceType } from '../../domain/resources/kinds.js';

/** What happened to one resource of an import. */
export type Outcome = 'created' | 'unchanged' | 'updated' | 'skipped' | 'failed';

export interface ItemResult {
  orgId: string;
  /** ImportDataError.type, e.g. "human_user". */
  type: ResourceType;
  /** ZITADEL's composite id, e.g. "projectId_roleKey". */
  id: string;
  outcome: Outcome;
  /** Why it failed or was skipped. */
  message?: string;
  /** The fields that name the resource (ResourceKind.summary), for success lists. */
  item: JsonObject;
}

export interface ImportReport {
  results: ItemResult[];
  dryRun: boolean;
}

export const isSuccess = (r: ItemResult) => r.outcome === 'created' || r.outcome === 'unchanged' || r.outcome === 'updated';
