import { p } from '@mikro-orm/core';
import type { JsonObject } from '../../domain/json.js';

/**
 * A resource's canonical proto-JSON. Stored as `json` (the text as written), not `jsonb`
 * (which reorders keys): export streams it back byte for byte, in protojson field order,
 * without parsing and re-encoding every row.
 */
export const payload = () => p.json<JsonObject>().columnType('json');
