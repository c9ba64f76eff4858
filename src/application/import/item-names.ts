import { derivedId } from '../../domain/ids.js';
import { type JsonObject, stringAt } from '../../domain/json.js';
import type { ResourceKind } from '../../domain/resources/kinds.js';

/**
 * ZITADEL gives a human user imported without `userId` an id of its own; so does idport, derived
 * from the org and user name (see derivedId) so that a re-run finds the same user.
 */
export function withGeneratedId(kind: ResourceKind, item: JsonObject, orgId: string): JsonObject {
  if (kind.type !== 'human_user' || stringAt(item, 'userId') !== '') return item;
  const userName = stringAt(item, 'user.userName');
  return userName ? { ...item, userId: derivedId('human_user', orgId, userName) } : item;
}

/** An id, or a composite id with a part missing ("", "_key", "org__user"): it cannot name its resource. */
export const nameless = (id: string) => id === '' || id.startsWith('_') || id.endsWith('_') || id.includes('__');

/** Names a resource without an id by its user name or name and its place in the org's list. */
export function positionName(kind: ResourceKind, item: JsonObject, index: number): string {
  const name = stringAt(item, 'user.userName') || stringAt(item, 'user.name') || stringAt(item, 'key') || stringAt(item, 'roleKey');
  return `${kind.field}[${index}]${name ? ` (${name})` : ''}`;
}
