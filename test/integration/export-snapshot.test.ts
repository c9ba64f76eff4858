/**
 * An export reads one consistent snapshot (ports.ts: REPEATABLE READ, read only), so a write
 * that commits while an export runs shows up in none of it. Concurrency is made deterministic
 * by pausing the export's reads at a chosen point (a gate around the real reader), running the
 * write, then letting the export go on. Runs on PGlite, and on PostgreSQL with DATABASE_URL.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { createExporter } from '../../src/application/export/export-data.js';
import type { BlobStorage, ResourceReader, ResourceTransactions, StoredResource } from '../../src/application/ports.js';
import { type Database, openDatabase } from '../../src/persistence/orm.js';
import { createResourceTransactions } from '../../src/persistence/resources/resource-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testSecretsAtRest } from '../support/secrets.js';

const HASH = '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';
const signal = () => AbortSignal.timeout(30_000);

let testDb: TestDatabase;
let db: Database;
let tx: ResourceTransactions;

const noBlobs: BlobStorage = {
  check: () => {},
  write: () => Promise.reject(new Error('this test exports to the response only')),
  read: () => {
    throw new Error('this test exports to the response only');
  },
  describe: () => Promise.reject(new Error('this test exports to the response only')),
  open: () => Promise.reject(new Error('this test exports to the response only')),
};

const human = (userId: string, userName: string, lastName: string): StoredResource => ({
  item: { userId, user: { userName, profile: { firstName: userName, lastName } }, state: 'USER_STATE_ACTIVE' },
  secrets: { passwordHash: HASH, otpSecret: null },
});

async function writeOrg(orgId: string, name: string, users: StoredResource[]) {
  await tx.write(signal(), { rollback: false }, async (w) => {
    expect(await w.insert('org', orgId, [{ item: { org: { name }, orgState: 'ORG_STATE_ACTIVE' } }])).toEqual({ conflicts: [] });
    expect(await w.insert('human_user', orgId, users)).toEqual({ conflicts: [] });
  });
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await openDatabase(testDb.config);
  tx = createResourceTransactions(db, testSecretsAtRest());
  await writeOrg('100', 'Acme', [human('120', 'alice', 'Liddell')]);
  await writeOrg('200', 'Globex', [human('220', 'carol', 'Danvers')]);
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

/** `tx` whose export stops before it reads `pauseAt`, until released. */
function pausedBefore(pauseAt: { kind: string; orgId: string }) {
  let reached!: () => void;
  let release!: () => void;
  const reachedGate = new Promise<void>((resolve) => (reached = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  const gated: ResourceTransactions = {
    analyze: () => tx.analyze(),
    write: (s, options, work) => tx.write(s, options, work),
    read: (s, work) =>
      tx.read(s, (reader) => {
        const wrapped: ResourceReader = {
          orgIds: () => reader.orgIds(),
          async *read(kind, orgId, secrets) {
            if (kind === pauseAt.kind && orgId === pauseAt.orgId) {
              reached();
              await gate;
            }
            yield* reader.read(kind, orgId, secrets);
          },
        };
        return work(wrapped);
      }),
  };
  return { tx: gated, reachedGate, release };
}

async function exportAll(transactions: ResourceTransactions): Promise<JsonObject> {
  const run = createExporter({ tx: transactions, blobs: noBlobs });
  const result = await run({
    orgIds: [],
    excludedOrgIds: [],
    withPasswords: true,
    withOtp: true,
    toResponse: true,
    targets: [],
    signal: signal(),
  });
  return JSON.parse(result.json ?? '{}') as JsonObject;
}

const usersOf = (json: JsonObject, orgId: string) =>
  (((json.orgs as JsonObject[]).find((o) => o.orgId === orgId)?.humanUsers ?? []) as JsonObject[]).map(
    (u) => `${(u.user as JsonObject).userName}:${((u.user as JsonObject).profile as JsonObject).lastName}`,
  );

test('a write that commits while an export runs is in none of it', async () => {
  const before = await exportAll(tx);
  expect(usersOf(before, '200')).toEqual(['carol:Danvers']);

  // Org 100 is read by now, org 200 not yet: a READ COMMITTED export would see the write there.
  const paused = pausedBefore({ kind: 'org', orgId: '200' });
  const exporting = exportAll(paused.tx);
  await paused.reachedGate;

  let writeDone = false;
  const writing = tx
    .write(signal(), { rollback: false }, async (w) => {
      expect(await w.insert('human_user', '200', [human('221', 'dave', 'Bowman')])).toEqual({ conflicts: [] });
      await w.replace('human_user', '200', human('220', 'carol', 'Married'));
      expect(await w.insert('org', '300', [{ item: { org: { name: 'Initech' } } }])).toEqual({ conflicts: [] });
    })
    .finally(() => {
      writeDone = true;
    });

  if (db.kind === 'postgres') {
    // Another pool connection: the write commits while the export's snapshot stays open.
    await writing;
  } else {
    // PGlite is one connection: the write waits for the snapshot to end, so it cannot leak in.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(writeDone).toBe(false);
  }
  paused.release();
  const during = await exporting;
  await writing;

  expect(during).toEqual(before);
  const after = await exportAll(tx);
  expect(usersOf(after, '200')).toEqual(['carol:Married', 'dave:Bowman']);
  expect((after.orgs as JsonObject[]).map((o) => o.orgId)).toEqual(['100', '200', '300']);
});
