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
      // Digested as they are added, from the JSON text the store writes (made once, here), into
      // the pass's map at once; a refused bulk write stores none of its rows, so its digests are
      // taken out again (copying each bulk's digests in at its close took 0.2 s of a
      // 200,000-user job, CPU profile).
      const byId = digestsOf(after, kind);
      const added: string[] = [];
      /** Digests this bulk write replaced (an id the pass stored before): put back if it is refused. */
      const replaced: [string, string][] = [];
      const id = KINDS.get(kind)?.id;
      const forget = () => {
        for (const key of added) byId.delete(key);
        for (const [key, digest] of replaced) byId.set(key, digest);
      };
      return {
        add(rows) {
          const withJson: StoredResource[] = rows.map((r) => {
            const json = r.json ?? JSON.stringify(r.item);
            const key = id?.(r.item, org) ?? '';
            const was = byId.get(key);
            if (was !== undefined) replaced.push([key, was]);
            byId.set(key, digestOf(json));
            added.push(key);
            return { ...r, json };
          });
          bulk.add(withJson);
        },
        async close() {
          try {
            return await bulk.close();
          } catch (e) {
            forget();
            throw e;
          }
        },
        async abort() {
          forget();
          await bulk.abort();
        },
      };
    },
    savepoint: (work) => writer.savepoint((w) => work(watchWriter(w, before, after))),
  };
  return watched;
}
