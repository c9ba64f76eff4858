/**
 * The import file's index (file-index.ts) and the org reader over it (org-reader.ts): where
 * each org, member and item is; members in any order (ZITADEL writes `orgState` last, idport
 * imports domains before users); items in batches; one undecodable item fails alone.
 */
import type { RandomAccessFile } from '../../../src/application/ports.js';
import { isDomainError } from '../../../src/domain/errors.js';
import { indexExportFile } from '../../../src/transport/codec/file-index.js';
import { BATCH_ITEMS, readIndexedOrgs } from '../../../src/transport/codec/org-reader.js';

async function* chunked(bytes: Buffer, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const memoryFile = (bytes: Buffer): RandomAccessFile => ({
  read: async (position, length) => bytes.subarray(position, position + length),
});

async function errorOf(text: string) {
  try {
    await indexExportFile(chunked(Buffer.from(text), 3));
  } catch (e) {
    return isDomainError(e) ? { kind: e.kind, id: e.id } : e;
  }
  return undefined;
}

describe('indexExportFile', () => {
  test('orgs, their members and the items of list members, by offset', async () => {
    const text = '{"orgs":[{"orgId":"a","humanUsers":[{"userId":"u1"}, {"userId":"u2"}],"org":{"name":"A"}},{"orgId":"b"}]}';
    const bytes = Buffer.from(text);
    const index = await indexExportFile(chunked(bytes, 5));
    expect(index.orgCount).toBe(2);
    const [a, b] = index.orgs;
    expect(a?.fields.map((f) => f.key)).toEqual(['orgId', 'humanUsers', 'org']);
    const users = a?.fields[1];
    expect(users).toMatchObject({ isArray: true, count: 2 });
    const items = [0, 1].map((k) => {
      const row = (users?.first ?? 0) + k;
      return text.slice(index.itemStart(row), index.itemStart(row) + index.itemLength(row));
    });
    expect(items).toEqual(['{"userId":"u1"}', '{"userId":"u2"}']);
    expect(text.slice(b?.start, b?.end)).toBe('{"orgId":"b"}');
    expect(text.slice(a?.fields[2]?.start, a?.fields[2]?.end)).toBe('{"name":"A"}');
  });

  test.each([
    ['[]', 'IMPORT-file-shape'],
    ['{"orgs":{}}', 'IMPORT-file-shape'],
    ['{"orgs":[1]}', 'IMPORT-file-shape'],
    ['{"other":[]}', 'IMPORT-file-shape'],
    ['{"orgs":[{"orgId":"a"}]', 'IMPORT-file-truncated'],
    ['{"orgs":[{"orgId":"a",}]}', 'IMPORT-file-json'],
    ['{"orgs":[{"orgId":"a"}]} {}', 'IMPORT-file-json'],
    ['', 'IMPORT-file-truncated'],
  ])('%j is refused: %s', async (text, id) => {
    expect(await errorOf(text)).toMatchObject({ id });
  });

  test('the last "orgs" counts, as in JSON.parse', async () => {
    const index = await indexExportFile(chunked(Buffer.from('{"orgs":[{"orgId":"x"}],"orgs":[{"orgId":"y"},{"orgId":"z"}]}'), 4));
    expect(index.orgCount).toBe(2);
  });
});

describe('readIndexedOrgs', () => {
  async function orgsOf(file: object) {
    const bytes = Buffer.from(JSON.stringify(file));
    const index = await indexExportFile(chunked(bytes, 7));
    const out = [];
    for await (const decoded of readIndexedOrgs(index, memoryFile(bytes), 'admin')) {
      if ('error' in decoded) {
        out.push(decoded);
        continue;
      }
      const lists: Record<string, unknown[]> = {};
      for (const field of ['domains', 'humanUsers', 'orgMembers']) {
        for await (const batch of decoded.org.items(field)) {
          lists[field] = [...(lists[field] ?? []), ...batch.items, ...batch.failed.map((f) => ({ failed: f.message }))];
        }
      }
      out.push({ head: decoded.org.head, lists });
    }
    return out;
  }

  test('members in ZITADEL order (orgState last) or any other give the same org', async () => {
    const members = {
      orgId: 'o1',
      org: { name: 'One' },
      humanUsers: [{ userId: 'u1', user: { userName: 'ann' } }],
      orgMembers: [{ userId: 'u1', roles: ['ORG_OWNER'] }],
      domains: [{ domainName: 'one.example' }],
      orgState: 'ORG_STATE_ACTIVE',
    };
    const reversed = Object.fromEntries(Object.entries(members).reverse());
    const [a] = await orgsOf({ orgs: [members] });
    const [b] = await orgsOf({ orgs: [reversed] });
    expect(a).toEqual(b);
    expect(a).toEqual({
      head: { orgId: 'o1', org: { name: 'One' }, orgState: 'ORG_STATE_ACTIVE' },
      lists: {
        domains: [{ domainName: 'one.example' }],
        humanUsers: [{ userId: 'u1', user: { userName: 'ann' } }],
        orgMembers: [{ userId: 'u1', roles: ['ORG_OWNER'] }],
      },
    });
  });

  test('proto names and non-canonical items are normalised; an item that is no message fails alone', async () => {
    const [org] = await orgsOf({
      orgs: [{ org_id: 'o2', human_users: [{ user_id: 'u1' }, { userId: 5 }, 'nope', { userId: 'u3' }] }],
    });
    expect(org).toMatchObject({ head: { orgId: 'o2' } });
    const users = (org as { lists: Record<string, unknown[]> }).lists.humanUsers;
    expect(users?.slice(0, 2)).toEqual([{ userId: 'u1' }, { userId: 'u3' }]);
    expect(users?.slice(2)).toEqual([
      { failed: expect.stringMatching(/IMPORT-item-decode/) },
      { failed: expect.stringMatching(/IMPORT-item-decode/) },
    ]);
  });

  test('a head that is no DataOrg fails that org alone', async () => {
    const orgs = await orgsOf({ orgs: [{ orgId: 'bad', org: 'not an object' }, { orgId: 'good' }] });
    expect(orgs[0]).toMatchObject({ orgId: 'bad', error: expect.stringMatching(/not a valid admin DataOrg/) });
    expect(orgs[1]).toMatchObject({ head: { orgId: 'good' } });
  });

  test('a long list comes in batches, in order', async () => {
    const users = Array.from({ length: BATCH_ITEMS * 2 + 5 }, (_, i) => ({ userId: `u${i}` }));
    const bytes = Buffer.from(JSON.stringify({ orgs: [{ orgId: 'o3', humanUsers: users }] }));
    const index = await indexExportFile(chunked(bytes, 64 * 1024));
    const sizes: number[] = [];
    const firsts: number[] = [];
    const seen: unknown[] = [];
    for await (const decoded of readIndexedOrgs(index, memoryFile(bytes), 'admin')) {
      if ('error' in decoded) throw new Error(decoded.error);
      for await (const batch of decoded.org.items('humanUsers')) {
        sizes.push(batch.items.length);
        firsts.push(batch.first);
        seen.push(...batch.items);
      }
      // The later passes keep only their lists: users are gone, the id stays.
      const later = decoded.org.only(['orgMembers']);
      expect(later.head).toEqual({ orgId: 'o3' });
      for await (const _ of later.items('humanUsers')) throw new Error('users are not kept for the later passes');
    }
    expect(sizes).toEqual([BATCH_ITEMS, BATCH_ITEMS, 5]);
    expect(firsts).toEqual([0, BATCH_ITEMS, BATCH_ITEMS * 2]);
    expect(seen).toEqual(users);
  });
});
