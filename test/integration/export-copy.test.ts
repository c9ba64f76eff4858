/**
 * Issue 10: the export's reads (ResourceReader.read) on PostgreSQL are COPY TO STDOUT, parsed
 * from COPY's text format; on PGlite a cursor. Both must hand back exactly the stored payload
 * text and secrets, for values COPY escapes (backslashes, tabs, newlines), unicode, and every
 * with_passwords / with_otp combination; on PostgreSQL the COPY rows equal the cursor's.
 */
import type { ExportRow, ResourceTransactions, StoredResource, UserSecrets } from '../../src/application/ports.js';
import { type Database, openDatabase } from '../../src/persistence/orm.js';
import { createReader } from '../../src/persistence/resources/resource-reader.js';
import { createResourceTransactions } from '../../src/persistence/resources/resource-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { testSecretsAtRest } from '../support/secrets.js';

const backends: [string, () => Promise<TestDatabase>][] = [
  ['PGlite', async () => ({ config: { kind: 'pglite', dataDir: 'memory://' }, drop: async () => {} })],
];
if (process.env.DATABASE_URL) backends.push(['PostgreSQL', () => createTestDatabase()]);

const signal = () => AbortSignal.timeout(60_000);
const HASH = '$2a$04$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234';
const OTP = 'JBSWY3DPEHPK3PXP';
/** Values COPY's text format must escape, and characters beyond ASCII. */
const AWKWARD = ['back\\slash \\n not a newline', 'tab\there', 'new\nline', 'cr\rhere', 'Zoë 😀 日本語', '"quoted" \\" mixed'];

const human = (userId: string, userName: string, secrets: UserSecrets): StoredResource => ({
  item: {
    userId,
    user: { userName, profile: { firstName: AWKWARD.join(' | '), lastName: 'Ünïcødé' }, email: { email: `${userName}@x.example` } },
    state: 'USER_STATE_ACTIVE',
  },
  secrets,
});
const USERS = [
  human('u1', 'both', { passwordHash: HASH, otpSecret: OTP }),
  human('u2', 'hash-only', { passwordHash: HASH, otpSecret: null }),
  human('u3', 'otp-only', { passwordHash: null, otpSecret: OTP }),
  human('u4', 'none', { passwordHash: null, otpSecret: null }),
];
const COMBOS = [
  { passwords: true, otp: true },
  { passwords: true, otp: false },
  { passwords: false, otp: true },
  { passwords: false, otp: false },
];

describe.each(backends)('export reads on %s', (name, create) => {
  let testDb: TestDatabase;
  let db: Database;
  let tx: ResourceTransactions;

  beforeAll(async () => {
    testDb = await create();
    db = await openDatabase(testDb.config);
    tx = createResourceTransactions(db, testSecretsAtRest());
    await tx.write(signal(), { rollback: false }, async (w) => {
      await w.insert('org', "o'1", [{ item: { org: { name: 'Tab\there \\ and "quotes"' } } }]);
      await w.insert('human_user', "o'1", USERS);
    });
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  const readAll = (kind: string, orgId: string, wanted: { passwords: boolean; otp: boolean }) =>
    tx.read(signal(), async (r) => {
      const rows: ExportRow[] = [];
      for await (const batch of r.read(kind, orgId, wanted)) rows.push(...batch);
      return rows;
    });

  test('the org head comes back as stored, escapes and a quote in the org id included', async () => {
    const [head] = await readAll('org', "o'1", { passwords: true, otp: true });
    expect(JSON.parse(head?.json ?? '{}')).toEqual({ org: { name: 'Tab\there \\ and "quotes"' } });
  });

  test.each(COMBOS)('passwords=$passwords otp=$otp: payloads intact, secrets only when asked for', async (wanted) => {
    const rows = await readAll('human_user', "o'1", wanted);
    expect(rows.map((r) => JSON.parse(r.json))).toEqual(USERS.map((u) => u.item));
    const expected = USERS.map((u) =>
      wanted.passwords || wanted.otp
        ? { passwordHash: wanted.passwords ? u.secrets?.passwordHash : null, otpSecret: wanted.otp ? u.secrets?.otpSecret : null }
        : undefined,
    );
    expect(rows.map((r) => r.secrets)).toEqual(expected);
  });

  if (name === 'PostgreSQL') {
    test('COPY TO gives the same rows, byte for byte, as the cursor', async () => {
      const viaCursor = (wanted: { passwords: boolean; otp: boolean }) =>
        db.em().transactional(async (em) => {
          const rows: ExportRow[] = [];
          const reader = createReader(em as never, testSecretsAtRest());
          for await (const batch of reader.read('human_user', "o'1", wanted)) rows.push(...batch);
          return rows;
        });
      for (const wanted of COMBOS) expect(await readAll('human_user', "o'1", wanted)).toEqual(await viaCursor(wanted));
    });
  }
});
