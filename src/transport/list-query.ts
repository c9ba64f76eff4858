import type { ListQuery } from '../../gen/zitadel/object_pb.js';
import { TextQueryMethod } from '../../gen/zitadel/object_pb.js';
import type { TextMatch } from '../application/ports.js';
import { invalidArgument } from '../domain/errors.js';

export function pageOf(query: ListQuery | undefined): { offset: number; limit: number; asc: boolean } {
  const offset = Number(query?.offset ?? 0n);
  if (!Number.isSafeInteger(offset)) throw invalidArgument('LIST-offset', 'query.offset is too large');
  return { offset, limit: query?.limit ?? 0, asc: query?.asc ?? false };
}

const METHODS: Record<TextQueryMethod, Pick<TextMatch, 'method' | 'ignoreCase'>> = {
  [TextQueryMethod.EQUALS]: { method: 'equals', ignoreCase: false },
  [TextQueryMethod.EQUALS_IGNORE_CASE]: { method: 'equals', ignoreCase: true },
  [TextQueryMethod.STARTS_WITH]: { method: 'startsWith', ignoreCase: false },
  [TextQueryMethod.STARTS_WITH_IGNORE_CASE]: { method: 'startsWith', ignoreCase: true },
  [TextQueryMethod.CONTAINS]: { method: 'contains', ignoreCase: false },
  [TextQueryMethod.CONTAINS_IGNORE_CASE]: { method: 'contains', ignoreCase: true },
  [TextQueryMethod.ENDS_WITH]: { method: 'endsWith', ignoreCase: false },
  [TextQueryMethod.ENDS_WITH_IGNORE_CASE]: { method: 'endsWith', ignoreCase: true },
};

export function textMatch(value: string, method: TextQueryMethod): TextMatch {
  const m = METHODS[method];
  if (!m) throw invalidArgument('LIST-method', `unknown text query method ${method}`);
  return { value, ...m };
}
