/** Column shapes shared by the entities. */
import { p } from '@mikro-orm/core';
import type { JsonObject } from '../../domain/json.js';

/**
 * A resource's canonical proto-JSON. Stored as `json` (the text as written), not `jsonb`
 * (which reorders keys): export streams it back byte for byte, in protojson field order,
 * without parsing and re-encoding every row.
 */
export const payload = () => p.json<JsonObject>().columnType('json');

/** When a row was created; set by the database too, for rows written with bulk SQL. */
export const createdAt = () =>
  p
    .datetime()
    .onCreate(() => new Date())
    .defaultRaw('current_timestamp');

/** Creation and last change, for rows that are updated in place. */
export const timestamps = () => ({
  createdAt: createdAt(),
  changedAt: createdAt().onUpdate(() => new Date()),
});
