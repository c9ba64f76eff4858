import { createHash } from 'node:crypto';
import type { JsonObject } from '../../domain/json.js';
import { ORG_KIND, RESOURCE_KINDS, type ResourceKind } from '../../domain/resources/kinds.js';
import type { ResourceWriter, StoredResource } from '../ports.js';

/** The digests of what an import job's pass stores, for its audit events (run-import.ts). */

const KINDS = new Map<string, ResourceKind>([ORG_KIND, ...RESOURCE_KINDS].map((k) => [k.type, k]));

const digest = (item: JsonObject) => createHash('sha256').update(JSON.stringify(item)).digest('hex');

/** Digests by type, then id as the report names resources (a kind's id may include the org it is written to). */
export type Digests = Map<string, Map<string, string>>;

export function digestsOf(digests: Digests, kind: string): Map<string, string> {
  let byId = digests.get(kind);
  if (!byId) {
    byId = new Map();
    digests.set(kind, byId);
  }
  return byId;
}

/**
 * Digests of each resource's stored content before and after this pass. One map per type keyed
 * by id, not one `type:id` string per resource (a 1M-user import made and hashed 2M of them).
 */
export function watchWriter(writer: ResourceWriter, before: Digests, after: Digests): ResourceWriter {
  const idOf = (kind: string, item: JsonObject, org: string) => KINDS.get(kind)?.id(item, org) ?? '';
  const watched: ResourceWriter = {
    ...writer,
    async findExisting(kind, org, items) {
      const found = await writer.findExisting(kind, org, items);
      const byId = found.length > 0 ? digestsOf(before, kind) : undefined;
      for (const s of found) if (s.orgId === undefined || s.orgId === org) byId?.set(idOf(kind, s.item, org), digest(s.item));
      return found;
    },
    async insert(kind, org, rows, options) {
      const out = await writer.insert(kind, org, rows, options);
      const refused = new Set(out.conflicts);
      const byId = digestsOf(after, kind);
      rows.forEach((r, i) => {
        if (!refused.has(i)) byId.set(idOf(kind, r.item, org), digest(r.item));
      });
      return out;
    },
    async replace(kind, org, row) {
      await writer.replace(kind, org, row);
      digestsOf(after, kind).set(idOf(kind, row.item, org), digest(row.item));
    },
    async openBulk(kind, org) {
      const bulk = await writer.openBulk(kind, org);
      // Kept only once it closes: a refused bulk write stores none of its rows.
      const held: StoredResource[] = [];
      return {
        add(rows) {
          bulk.add(rows);
          held.push(...rows);
        },
        async close() {
          const written = await bulk.close();
          const byId = digestsOf(after, kind);
          for (const r of held) byId.set(idOf(kind, r.item, org), digest(r.item));
          return written;
        },
        abort: () => bulk.abort(),
      };
    },
    savepoint: (work) => writer.savepoint((w) => work(watchWriter(w, before, after))),
  };
  return watched;
}
