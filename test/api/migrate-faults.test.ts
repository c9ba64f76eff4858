import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JsonObject } from '@bufbuild/protobuf';
import { type MigrateOptions, migrate, type ProgressEvent } from '../../src/cli/migrate.js';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { createTestClock, startTestApp, type TestApp } from '../support/app.js';
import { postJson, seed } from '../support/export-helpers.js';

// A peer that starts well and then answers UNAUTHENTICATED, PERMISSION_DENIED or UNAVAILABLE:
// the migration stops with the code and the side, on either side. "ZITADEL" is idport with
// IDPORT_SERVICES=zitadel; the faults are real (a token past its expiry on the peer's clock, a
// role taken away, the peer shut down), not faked in-process.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sourceClock = createTestClock();
const targetClock = createTestClock();
let zitadelSource: TestApp;
let zitadelTarget: TestApp;
let idport: TestApp;
const closed = new Set<TestApp>();
const fromZitadel = seededOrgs('-fz');
const fromIdport = seededOrgs('-fi');
const ids = (orgs: readonly unknown[]) => (orgs as JsonObject[]).map((o) => String(o.orgId));
const A_YEAR_AND_MORE = 9000 * 3600 * 1000;

beforeAll(async () => {
  [zitadelSource, zitadelTarget, idport] = await Promise.all([
    startTestApp({ services: { idport: false } }, { clock: sourceClock }),
    startTestApp({ services: { idport: false } }, { clock: targetClock }),
    startTestApp(),
  ]);
  await Promise.all([seed(zitadelSource, fromZitadel), seed(idport, fromIdport)]);
});

afterEach(() => {
  sourceClock.reset();
  targetClock.reset();
});

afterAll(async () => {
  await Promise.all([zitadelSource, zitadelTarget, idport].filter((a) => a && !closed.has(a)).map((a) => a.close()));
});

/** A migration user of `app` holding `roles`, with its PAT (the migration guide's setup). */
async function migrationUser(app: TestApp, roles: string[]): Promise<{ userId: string; token: string }> {
  const user = await postJson(app, '/management/v1/users/machine', {
    userName: `mig-${Math.random().toString(36).slice(2)}`,
    name: 'Migration',
  });
  const userId = String(user.json.userId);
  const pat = await postJson(app, `/management/v1/users/${userId}/pats`, { expirationDate: '2099-01-01T00:00:00Z' });
  await setRoles(app, userId, roles);
  return { userId, token: String(pat.json.token) };
}

async function setRoles(app: TestApp, userId: string, roles: string[]): Promise<void> {
  const res = await postJson(app, '/admin/v1/members', { userId, roles });
  expect(res.status).toBe(200);
}

/** Runs a migration whose `when` event (the first one) first does `fault`. */
function migrateWithFault(options: Omit<MigrateOptions, 'withPasswords' | 'withOtp'>, when: string, fault: () => unknown) {
  let fired = false;
  return migrate({
    ...options,
    withPasswords: true,
    withOtp: true,
    onProgress: async (e: ProgressEvent) => {
      if (!fired && `${e.side} ${e.step}` === when) {
        fired = true;
        await fault();
      }
    },
  });
}

const zitadelToIdport = (sourceToken = zitadelSource.token) => ({
  source: { url: zitadelSource.url, token: sourceToken },
  target: { url: idport.url, token: idport.token },
  orgIds: ids(fromZitadel),
});
const idportToZitadel = (targetToken = zitadelTarget.token) => ({
  source: { url: idport.url, token: idport.token },
  target: { url: zitadelTarget.url, token: targetToken },
  orgIds: ids(fromIdport),
});

test('source UNAUTHENTICATED midway (its token expires after the first org)', async () => {
  await expect(migrateWithFault(zitadelToIdport(), 'source read', () => sourceClock.advance(A_YEAR_AND_MORE))).rejects.toMatchObject({
    side: 'source',
    codeName: 'UNAUTHENTICATED',
    message: expect.stringMatching(/^source: UNAUTHENTICATED.*after 1 messages; the import was cancelled/),
  });
});

test('target UNAUTHENTICATED midway (its token expires after the first org)', async () => {
  await expect(migrateWithFault(idportToZitadel(), 'target imported', () => targetClock.advance(A_YEAR_AND_MORE))).rejects.toMatchObject({
    side: 'target',
    codeName: 'UNAUTHENTICATED',
    message: expect.stringMatching(new RegExp(`^target: UNAUTHENTICATED.*\\(org ${ids(fromIdport)[1]}, its first part\\)`)),
  });
});

test('source PERMISSION_DENIED midway (the migration user loses iam.read)', async () => {
  const user = await migrationUser(zitadelSource, ['IAM_OWNER']);
  await expect(
    migrateWithFault(zitadelToIdport(user.token), 'source read', () => setRoles(zitadelSource, user.userId, ['IAM_USER_MANAGER'])),
  ).rejects.toMatchObject({ side: 'source', codeName: 'PERMISSION_DENIED' });
});

test('target PERMISSION_DENIED midway (the migration user loses iam.write)', async () => {
  const user = await migrationUser(zitadelTarget, ['IAM_OWNER']);
  const orgs = seededOrgs('-fp');
  await seed(idport, orgs);
  await expect(
    migrateWithFault({ ...idportToZitadel(user.token), orgIds: ids(orgs) }, 'target imported', () =>
      setRoles(zitadelTarget, user.userId, ['IAM_OWNER_VIEWER']),
    ),
  ).rejects.toMatchObject({ side: 'target', codeName: 'PERMISSION_DENIED', message: expect.stringMatching(/^target: PERMISSION_DENIED/) });
});

test('the CLI: exit code 2, one line naming the side and the code', async () => {
  const run = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/migrate.ts', ...args],
        { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '', ...env }, timeout: 60_000 },
        (err, _stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }),
      );
    });
  const badSource = await run(['--from', zitadelSource.url, '--to', idport.url], {
    IDPORT_SOURCE_TOKEN: 'nope',
    IDPORT_TARGET_TOKEN: idport.token,
  });
  expect(badSource.code).toBe(2);
  expect(badSource.stderr).toMatch(/^migrate: source: UNAUTHENTICATED[^\n]*\n$/);

  const deniedTarget = await migrationUser(zitadelTarget, ['IAM_OWNER_VIEWER']);
  const denied = await run(['--from', idport.url, '--to', zitadelTarget.url, '--org', ids(fromIdport)[0]!], {
    IDPORT_SOURCE_TOKEN: idport.token,
    IDPORT_TARGET_TOKEN: deniedTarget.token,
  });
  expect(denied.code).toBe(2);
  expect(denied.stderr).toMatch(/^migrate: target: PERMISSION_DENIED[^\n]*\n$/);
});

test('source UNAVAILABLE midway (the source shuts down after the first org)', async () => {
  await expect(
    migrateWithFault(zitadelToIdport(), 'source read', async () => {
      closed.add(zitadelSource);
      await zitadelSource.close();
    }),
  ).rejects.toMatchObject({ side: 'source', codeName: 'UNAVAILABLE', message: expect.stringMatching(/^source: UNAVAILABLE/) });
});

test('target UNAVAILABLE midway (the target shuts down after the first org)', async () => {
  const orgs = seededOrgs('-fu');
  await seed(idport, orgs);
  await expect(
    migrateWithFault({ ...idportToZitadel(), orgIds: ids(orgs) }, 'target imported', async () => {
      closed.add(zitadelTarget);
      await zitadelTarget.close();
    }),
  ).rejects.toMatchObject({ side: 'target', codeName: 'UNAVAILABLE', message: expect.stringMatching(/^target: UNAVAILABLE/) });
});
