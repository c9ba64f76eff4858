import type { ItemResult } from '../../application/import/import-report.js';
import type { JsonObject } from '../../domain/json.js';

const ACTION: Record<ItemResult['outcome'], string> = {
  created: 'ADDED',
  unchanged: 'SKIPPED',
  skipped: 'SKIPPED',
  updated: 'OVERWRITTEN',
  failed: 'FAILED',
};

/**
 * Keycloak's partial-import answer (`PartialImportResults`: added, skipped, overwritten and one
 * result per user), plus idport's `failed` items and `notes` (what was not carried).
 */
export function partialImportResult(results: ItemResult[], notes: string[]): JsonObject {
  const users = results.filter((r) => r.type === 'human_user');
  const count = (action: string) => users.filter((r) => ACTION[r.outcome] === action).length;
  return {
    overwritten: count('OVERWRITTEN'),
    added: count('ADDED'),
    skipped: count('SKIPPED'),
    results: users.map((r) => ({ action: ACTION[r.outcome], resourceType: 'USER', resourceName: r.id, id: r.id })),
    failed: results.filter((r) => r.outcome === 'failed').map((r) => ({ type: r.type, id: r.id, message: r.message ?? 'failed' })),
    notes,
  };
}
