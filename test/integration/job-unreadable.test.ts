import type { EntityManager } from '@mikro-orm/sql';
import { JobRequestUnreadable, type JobStore } from '../../src/application/jobs/job-ports.js';
import { emptyProgress } from '../../src/application/jobs/job-progress.js';
import { createJobRunner, UNREADABLE_LOG_EVERY_MS } from '../../src/application/jobs/job-runner.js';
import { createJobStore } from '../../src/persistence/jobs/job-store.js';
import { type Database, openDatabase } from '../../src/persistence/orm.js';
import { query } from '../../src/persistence/resources/resource-sql.js';
import { secretKeyId } from '../../src/persistence/secrets/aes-gcm-cipher.js';
import { testSecretsAtRest } from '../support/secrets.js';

// A replica whose IDPORT_SECRETS_KEY differs from the one that sealed a queued job's request
// leaves the job queued (job-store.ts claim) and says so once per job, not on every poll: the
// real store on PGlite, the runner with a fake clock, polls counted rather than timed.
const KEY_SEALED = Buffer.alloc(32, 1);
const KEY_RESEALED = Buffer.alloc(32, 2);
const KEY_REPLICA = Buffer.alloc(32, 3);

let db: Database;
beforeAll(async () => {
  db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
});
afterAll(async () => {
  await db.close();
});

const sql = (text: string, params: unknown[]) => db.em().transactional((em) => query(em as unknown as EntityManager, text, params));

test('a job sealed under a key this replica lacks stays queued and is logged once per job, again after 10 minutes or when its key changes', async () => {
  const creator = createJobStore(db, testSecretsAtRest(KEY_SEALED));
  await creator.create({
    id: 'j-wrong-key',
    kind: 'import',
    principal: 'p',
    source: 'gcs:b/o',
    target: 'database',
    request: { request: { dataOrgsGcs: { bucket: 'b', path: 'o', serviceaccountJson: 'the-account-key' } } },
    progress: emptyProgress(),
  });

  const replicaStore = createJobStore(db, testSecretsAtRest(KEY_REPLICA));
  let polls = 0;
  let reached: { at: number; done: () => void } | undefined;
  const counted: JobStore = {
    ...replicaStore,
    claim(owner, leaseMs, deadline) {
      // Counted as a poll starts: by then the runner has handled every earlier poll's refusal.
      polls++;
      if (reached && polls > reached.at) reached.done();
      return replicaStore.claim(owner, leaseMs, deadline);
    },
  };
  const pollsReach = (n: number) =>
    new Promise<void>((resolve) => {
      reached = { at: polls + n, done: resolve };
    });

  let clock = 1_000_000;
  const lines: { message: string; fields: Record<string, unknown> | undefined }[] = [];
  const metered: string[] = [];
  const unused = () => {
    throw new Error('no job may run on this replica');
  };
  const runner = createJobRunner({
    jobs: counted,
    runImport: unused,
    planImport: unused,
    planExport: unused,
    owner: 'wrong-key-replica',
    leaseMs: 60_000,
    pollMs: 1,
    log: { info: () => undefined, error: (message, _cause, fields) => lines.push({ message, fields }) },
    unreadable: (keyId) => metered.push(keyId),
    now: () => clock,
  });

  runner.start();
  try {
    await expectOncePerJob();
  } finally {
    await runner.stop();
  }
  // No line carries a key or the sealed request's secret; the job never left the queue.
  async function expectOncePerJob() {
    await pollsReach(20);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.fields).toEqual({ job: 'j-wrong-key', keyId: secretKeyId(KEY_SEALED), repeatsAfterMs: UNREADABLE_LOG_EVERY_MS });
    expect(lines[0]?.message).toContain(secretKeyId(KEY_SEALED));
    expect(metered.length).toBeGreaterThanOrEqual(20);
    expect(new Set(metered)).toEqual(new Set([secretKeyId(KEY_SEALED)]));

    // Just short of the quiet time: still once.
    clock += UNREADABLE_LOG_EVERY_MS - 1;
    await pollsReach(5);
    expect(lines).toHaveLength(1);
    // The quiet time passed: named again, once.
    clock += 1;
    await pollsReach(5);
    expect(lines).toHaveLength(2);

    // Another replica re-sealed the request under a new key: the key it needs changed, said at once.
    const resealed = testSecretsAtRest(KEY_RESEALED).sealDocument({ request: {} });
    await sql(`update job set request = $1::jsonb where id = 'j-wrong-key'`, [JSON.stringify(resealed)]);
    await pollsReach(5);
    expect(lines).toHaveLength(3);
    expect(lines[2]?.fields).toMatchObject({ keyId: secretKeyId(KEY_RESEALED) });
  }
  const text = JSON.stringify(lines);
  for (const key of [KEY_SEALED, KEY_RESEALED, KEY_REPLICA]) {
    for (const form of [key.toString('hex'), key.toString('base64'), key.toString('base64url')]) expect(text).not.toContain(form);
  }
  expect(text).not.toContain('the-account-key');
  expect(await sql(`select state, replica, lease_owner from job where id = 'j-wrong-key'`, [])).toEqual([
    { state: 'queued', replica: '', lease_owner: null },
  ]);
});

test('the claim names the job and the key id it needs', async () => {
  const refused = await createJobStore(db, testSecretsAtRest(KEY_REPLICA))
    .claim('x', 60_000, () => null)
    .catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(JobRequestUnreadable);
  expect(refused).toMatchObject({ id: 'SECRETS-key', jobId: 'j-wrong-key', keyId: secretKeyId(KEY_RESEALED) });
});
