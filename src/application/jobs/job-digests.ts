import { hash } from 'node:crypto';
import type { JsonObject } from '../../domain/json.js';
import { ORG_KIND, RESOURCE_KINDS, type ResourceKind } from '../../domain/resources/kinds.js';
import type { ResourceWriter, StoredResource } from '../ports.js';

/** The digests of what an import job's pass stores, for its audit events (run-import.ts). */

const KINDS = new Map<string, ResourceKind>([ORG_KIND, ...RESOURCE_KINDS].map((k) => [k.type, k]));

/** SHA-256 of the item's JSON text, hex; one-shot (crypto.hash, Node 21.7), with no Hash object per resource. */
const digestOf = (json: string) => hash('sha256', json, 'hex');
const digest = (item: JsonObject) => digestOf(JSON.stringify(item));

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
      // Digested as they are added, from the JSON text the store writes (made once, here), and
      // kept only once it closes: a refused bulk write stores none of its rows.
      const pending = new Map<string, string>();
      const id = KINDS.get(kind)?.id;
      return {
        add(rows) {
          const withJson: StoredResource[] = rows.map((r) => {
            const json = r.json ?? JSON.stringify(r.item);
            pending.set(id?.(r.item, org) ?? '', digestOf(json));
            return { ...r, json };
          });
          bulk.add(withJson);
        },
        async close() {
          const written = await bulk.close();
          const byId = after.get(kind);
          if (byId) for (const [id, d] of pending) byId.set(id, d);
          else after.set(kind, pending);
          return written;
        },
        abort: () => bulk.abort(),
      };
    },
    savepoint: (work) => writer.savepoint((w) => work(watchWriter(w, before, after))),
  };
  return watched;
}
