import { type Json, type JsonObject, valueAt } from '../../domain/json.js';
import { KIND_BY_TYPE, type ResourceType } from '../../domain/resources/kinds.js';
import { type ItemResult, isSuccess, type Outcome } from './import-report.js';

/**
 * Consecutive successes of one org, kind and outcome: their ids, and the values of the kind's
 * summary fields, flattened (`kind.summary.length` values per resource, undefined when absent).
 */
interface Run {
  orgId: string;
  type: ResourceType;
  outcome: Outcome;
  ids: string[];
  fields: (Json | undefined)[];
}

const summaryOf = (type: ResourceType) => KIND_BY_TYPE.get(type)?.summary ?? [];

/**
 * An import's outcomes, in order, held compactly: successes packed into runs (a million
 * created users of one org are one run of two string arrays, not a million objects), failures
 * and skips kept whole with their messages. Read back as ItemResults, one at a time.
 */
export class PackedResults implements Iterable<ItemResult> {
  private readonly entries: (Run | ItemResult)[] = [];
  private open: Run | undefined;
  readonly counts: Record<Outcome, number> = { created: 0, unchanged: 0, updated: 0, skipped: 0, failed: 0 };

  add(r: ItemResult): void {
    this.counts[r.outcome]++;
    if (!isSuccess(r) || r.message !== undefined) {
      this.entries.push(r);
      this.open = undefined;
      return;
    }
    let run = this.open;
    if (!run || run.orgId !== r.orgId || run.type !== r.type || run.outcome !== r.outcome) {
      run = { orgId: r.orgId, type: r.type, outcome: r.outcome, ids: [], fields: [] };
      this.entries.push(run);
      this.open = run;
    }
    run.ids.push(r.id);
    for (const path of summaryOf(r.type)) run.fields.push(valueAt(r.item, path));
  }

  *[Symbol.iterator](): Generator<ItemResult> {
    for (const entry of this.entries) {
      if (!('ids' in entry)) {
        yield entry;
        continue;
      }
      const paths = summaryOf(entry.type);
      for (let i = 0; i < entry.ids.length; i++) {
        // The same item the session recorded: its summary paths, nested as pickPaths nests them.
        const item: JsonObject = {};
        paths.forEach((path, j) => {
          const value = entry.fields[i * paths.length + j];
          if (value !== undefined) setPath(item, path, value);
        });
        yield { orgId: entry.orgId, type: entry.type, id: entry.ids[i] as string, outcome: entry.outcome, item };
      }
    }
  }
}

function setPath(obj: JsonObject, path: string, value: Json): void {
  const parts = path.split('.');
  let target = obj;
  for (const part of parts.slice(0, -1)) {
    target[part] ??= {};
    target = target[part] as JsonObject;
  }
  target[parts[parts.length - 1] as string] = value;
}
