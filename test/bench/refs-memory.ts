/**
 * Heap held by the import's known references and by what it keeps for the later passes, at
 * 1M users (issue 10), with a forced GC before each reading:
 *   node --expose-gc --import tsx test/bench/refs-memory.ts [users] [orgs]
 * "string keys" is the structure before issue 10, rebuilt here as it was (references.ts then:
 * a Map of `kind:id` and `kind:id@org` to the reason, every org's grants and members held until
 * the second pass); "per kind" is ImportRefs with a new org's grants written in its first pass.
 * Each org is parsed from its own JSON text and dropped after its first pass, as a file import does.
 */

import { inlineOrg } from '../../src/application/import/import-source.js';
import { LATER_FIELDS, laterPassesOf } from '../../src/application/import/plan.js';
import { ImportRefs, KnownRefs, refKey } from '../../src/application/import/references.js';
import type { JsonObject } from '../../src/domain/json.js';
import { ORG_KIND, RESOURCE_KINDS, type ResourceKind } from '../../src/domain/resources/kinds.js';

const users = Number(process.argv[2] ?? 1_000_000);
const orgCount = Number(process.argv[3] ?? 100);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function orgText(o: number): string {
  const orgId = `3${String(o).padStart(17, '0')}`;
  const per = Math.ceil(users / orgCount);
  const id = (i: number) => `2${String(o * per + i).padStart(17, '0')}`;
  const projects = Array.from({ length: 10 }, (_, p) => ({ projectId: `${orgId}p${p}`, project: { name: `p${p}` } }));
  const org = {
    orgId,
    org: { name: `org ${o}` },
    humanUsers: Array.from({ length: per }, (_, i) => ({ userId: id(i), user: { userName: `u${id(i)}` } })),
    projects,
    projectRoles: projects.flatMap((p) => ['a', 'b', 'c'].map((roleKey) => ({ projectId: p.projectId, roleKey }))),
    apiApps: projects.map((p) => ({ appId: `${p.projectId}app`, app: { projectId: p.projectId, name: 'app' } })),
    userGrants: Array.from({ length: per }, (_, i) => ({ userId: id(i), projectId: `${orgId}p0`, roleKeys: ['a'] })),
    orgMembers: [{ userId: id(0), roles: ['ORG_OWNER'] }],
  };
  return JSON.stringify(org);
}

const PROVIDING: readonly ResourceKind[] = [ORG_KIND, ...RESOURCE_KINDS].filter((k) => k.provides);
const itemsOf = (org: JsonObject, k: ResourceKind): JsonObject[] =>
  k === ORG_KIND ? [org] : ((Array.isArray(org[k.field]) ? org[k.field] : []) as JsonObject[]);

function stringKeys(): unknown {
  const known = new Map<string, string | undefined>();
  const later: JsonObject[] = [];
  for (let o = 0; o < orgCount; o++) {
    const org = JSON.parse(orgText(o)) as JsonObject;
    const orgId = org.orgId as string;
    const provided = new Map<string, string | undefined>();
    for (const k of PROVIDING)
      for (const item of itemsOf(org, k))
        for (const ref of k.provides?.(item, orgId) ?? []) {
          provided.set(refKey(ref), undefined);
          provided.set(refKey({ ...ref, org: orgId }), undefined);
        }
    for (const [key, v] of provided) if (v === undefined || !known.has(key)) known.set(key, v);
    later.push({ orgId, userGrants: org.userGrants ?? null, orgMembers: org.orgMembers ?? null });
  }
  return { known, later };
}

function perKind(): unknown {
  const known = new ImportRefs();
  const held: unknown[] = [];
  for (let o = 0; o < orgCount; o++) {
    const org = JSON.parse(orgText(o)) as JsonObject;
    const orgId = org.orgId as string;
    const pass = new KnownRefs(known, orgId);
    for (const k of PROVIDING) for (const item of itemsOf(org, k)) pass.provide(k, item, orgId, undefined);
    known.merge(pass.provided);
    // Every grant of these orgs is local: nothing is deferred, nothing held; the org is done.
    const first = { fresh: true, deferred: {} };
    if (laterPassesOf(first).length) held.push(inlineOrg(org).only(LATER_FIELDS));
    else known.forgetOrgLocal(orgId);
  }
  return { known, held };
}

function heapOf(build: () => unknown): number {
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const kept = build();
  gc?.();
  const after = process.memoryUsage().heapUsed;
  if (!kept) throw new Error('unreachable');
  return after - before;
}

const which = process.argv[4] ?? 'both';
const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
console.log(`${users} users in ${orgCount} orgs (node ${process.version})`);
if (which !== 'after') console.log(`string keys (before): ${mb(heapOf(stringKeys))}`);
if (which !== 'before') console.log(`per kind (after):     ${mb(heapOf(perKind))}`);
