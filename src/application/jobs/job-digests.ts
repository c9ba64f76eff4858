import { hash } from 'node:crypto';
import type { JsonObject } from '../../domain/json.js';
import { ORG_KIND, RESOURCE_KINDS, type ResourceKind } from '../../domain/resources/kinds.js';
import type { ResourceWriter, StoredResource } from '../ports.js';

/** The digests of what an import job's pass stores, for its audit events (run-import.ts). */

const KINDS = new Map<string, ResourceKind>([ORG_KIND, ...RESOURCE_KINDS].map((k) => [k.type, k]));

/** Digests per slab: 256 KiB each. */
const SLAB_DIGESTS = 8192;
const DIGEST_BYTES = 32;

/**
 * One type's digests by id: SHA-256 of each resource's JSON text, kept as 32 bytes in slabs with
 * the map holding each one's place, where a hex string per resource was retained for the whole
 * pass (62 MB of a job's peak RSS with 100,000 users in one org, against the direct import;
 * test/bench/job-overhead.ts --orgs 2). Hex is made when an audit event asks for it.
 */
export class DigestTable {
  private readonly places = new Map<string, number>();
  private readonly slabs: Buffer[] = [];
  private used = 0;

  /** Records the digest of `json` (one-shot crypto.hash, Node 21.7: no Hash object per resource) as `id`'s. */
  put(id: string, json: string): void {
    this.write(id, hash('sha256', json, 'buffer') as unknown as Buffer);
  }

  /** Puts back a digest `get` answered (a refused bulk write's). */
  restore(id: string, hex: string): void {
    this.write(id, Buffer.from(hex, 'hex'));
  }

  has(id: string): boolean {
    return this.places.has(id);
  }

  /** The digest as hex, if `id` has one. */
  get(id: string): string | undefined {
    const place = this.places.get(id);
    if (place === undefined) return undefined;
    const at = (place % SLAB_DIGESTS) * DIGEST_BYTES;
    return (this.slabs[Math.floor(place / SLAB_DIGESTS)] as Buffer).toString('hex', at, at + DIGEST_BYTES);
  }

  delete(id: string): void {
    this.places.delete(id);
  }

  private write(id: string, digest: Buffer): void {
    let place = this.places.get(id);
    if (place === undefined) {
      place = this.used++;
      this.places.set(id, place);
      if (place % SLAB_DIGESTS === 0) this.slabs.push(Buffer.allocUnsafe(SLAB_DIGESTS * DIGEST_BYTES));
    }
    digest.copy(this.slabs[Math.floor(place / SLAB_DIGESTS)] as Buffer, (place % SLAB_DIGESTS) * DIGEST_BYTES);
  }
}

/** Digests by type, then id as the report names resources (a kind's id may include the org it is written to). */
export type Digests = Map<string, DigestTable>;

export function digestsOf(digests: Digests, kind: string): DigestTable {
  let byId = digests.get(kind);
  if (!byId) {
    byId = new DigestTable();
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
      for (const s of found) if (s.orgId === undefined || s.orgId === org) byId?.put(idOf(kind, s.item, org), JSON.stringify(s.item));
      return found;
    },
    async insert(kind, org, rows, options) {
      const out = await writer.insert(kind, org, rows, options);
      const refused = new Set(out.conflicts);
      const byId = digestsOf(after, kind);
      rows.forEach((r, i) => {
        if (!refused.has(i)) byId.put(idOf(kind, r.item, org), r.json ?? JSON.stringify(r.item));
      });
      return out;
    },
    async replace(kind, org, row) {
      await writer.replace(kind, org, row);
      digestsOf(after, kind).put(idOf(kind, row.item, org), JSON.stringify(row.item));
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
        for (const [key, digest] of replaced) byId.restore(key, digest);
      };
      return {
        add(rows) {
          const withJson: StoredResource[] = rows.map((r) => {
            const json = r.json ?? JSON.stringify(r.item);
            const key = id?.(r.item, org) ?? '';
            if (byId.has(key)) replaced.push([key, byId.get(key) as string]);
            byId.put(key, json);
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
