import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonObject } from '@bufbuild/protobuf';
import { DataOrgSchema } from '../../gen/zitadel/admin_pb.js';
import { migrate, type ProgressEvent } from '../../src/cli/migrate.js';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { bigOrg, postJson, seed } from '../support/export-helpers.js';

// migrate with ZITADEL on either side. "ZITADEL" is an idport started with IDPORT_SERVICES=zitadel
// (its own idport.v1 switched off): it speaks only ZITADEL's contract, so migrate must use
// ZITADEL's ExportData / ImportData with it. Each direction must carry all 38 DataOrg kinds.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let zitadel: TestApp;
let idport: TestApp;
let dir: string;

beforeAll(async () => {
  [zitadel, idport] = await Promise.all([startTestApp({ services: { idport: false } }), startTestApp()]);
  dir = await mkdtemp(path.join(tmpdir(), 'idport-migrate-z-'));
});

afterAll(async () => {
  await Promise.all([zitadel?.close(), idport?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ids = (orgs: readonly unknown[]) => (orgs as JsonObject[]).map((o) => String(o.orgId));
const side = (app: TestApp) => ({ url: app.url, token: app.token });

/** The whole export of `orgIds`, secrets included: what a round trip must reproduce. */
async function exported(app: TestApp, orgIds: string[]): Promise<JsonObject[]> {
  const res = await postJson(app, '/admin/v1/export', { org_ids: orgIds, with_passwords: true, with_otp: true, response_output: true });
  expect(res.status).toBe(200);
  return res.json.orgs as JsonObject[];
}

test('the fixture carries every DataOrg kind (38 fields besides org_id)', () => {
  const present = new Set(seededOrgs('-kinds').flatMap((o) => Object.keys(o)));
  const kinds = DataOrgSchema.fields.filter((f) => f.name !== 'org_id');
  expect(kinds).toHaveLength(38);
  expect(kinds.map((f) => f.jsonName).filter((name) => !present.has(name))).toEqual([]);
});

test('ZITADEL → idport: ExportData one org per call into StreamImport, every kind arrives', async () => {
  const orgs = seededOrgs('-zi');
  await seed(zitadel, orgs);
  const events: ProgressEvent[] = [];

  const report = await migrate({
    source: side(zitadel),
    target: side(idport),
    orgIds: ids(orgs),
    withPasswords: true,
    withOtp: true,
    // Every org the source answers with fits the limit, so each goes as one message; orgs
    // bigger than the limit come only through GCS, and are cut then (migrate-gcs.test.ts).
    maxMessageBytes: 4096,
    onProgress: (e) => {
      events.push(e);
    },
  });

  expect({ source: report.sourceKind, target: report.targetKind }).toEqual({ source: 'zitadel', target: 'idport' });
  expect(report.response.errors).toEqual([]);
  expect(report.totals).toMatchObject({ failed: 0n, unchanged: 0n, created: BigInt(report.results.length) });
  const steps = (which: string) => events.filter((e) => `${e.side} ${e.step}` === which).map((e) => e.orgId);
  expect([steps('source read'), steps('target sent')]).toEqual([ids(orgs), ids(orgs)]);
  expect(events.filter((e) => e.step === 'sent').map((e) => e.calls)).toEqual([1, 1]);
  expect(await exported(idport, ids(orgs))).toEqual(await exported(zitadel, ids(orgs)));
});

test('idport → ZITADEL: ImportData per org part, later parts not failures, every kind arrives', async () => {
  const orgs = seededOrgs('-iz');
  await seed(idport, orgs);
  const events: ProgressEvent[] = [];

  const report = await migrate({
    source: side(idport),
    target: side(zitadel),
    orgIds: ids(orgs),
    withPasswords: true,
    withOtp: true,
    maxMessageBytes: 1024,
    itemsPerMessage: 3,
    onProgress: (e) => {
      events.push(e);
    },
  });

  expect({ source: report.sourceKind, target: report.targetKind }).toEqual({ source: 'idport', target: 'zitadel' });
  expect(report.response.errors).toEqual([]);
  expect(report.totals.failed).toBe(0n);
  expect(report.totals.succeeded).toBeGreaterThan(20n);
  expect(report.response.success?.orgs.map((o) => o.orgId)).toEqual(ids(orgs));
  const imported = events.filter((e) => e.side === 'target' && e.step === 'imported');
  expect(imported.map((e) => e.orgId)).toEqual(ids(orgs));
  // Org A is ~1.9 KB and has message texts, which never share the creating call.
  expect(imported[0]?.calls).toBeGreaterThanOrEqual(3);
  // Grants (org A only has some), then members (both), after every org's first pass.
  const [a, b] = ids(orgs);
  expect(events.filter((e) => e.step === 'later-passes').map((e) => e.orgId)).toEqual([a, a, b]);
  expect(await exported(zitadel, ids(orgs))).toEqual(await exported(idport, ids(orgs)));
});

test('ZITADEL → ZITADEL: the same outcome shape, every kind arrives', async () => {
  const orgs = seededOrgs('-zz');
  await seed(zitadel, orgs);
  const other = await startTestApp({ services: { idport: false } });
  try {
    const report = await migrate({ source: side(zitadel), target: side(other), orgIds: ids(orgs), withPasswords: true, withOtp: true });
    expect({ source: report.sourceKind, target: report.targetKind, errors: report.response.errors }).toEqual({
      source: 'zitadel',
      target: 'zitadel',
      errors: [],
    });
    expect(report.totals.failed).toBe(0n);
    expect(await exported(other, ids(orgs))).toEqual(await exported(zitadel, ids(orgs)));
  } finally {
    await other.close();
  }
});

test('an org bigger than the message limit: the error names the org and the way out', async () => {
  const big = bigOrg('big-zi', 300);
  await seed(zitadel, [big]);

  await expect(
    migrate({
      source: side(zitadel),
      target: side(idport),
      orgIds: ['big-zi'],
      withPasswords: false,
      withOtp: false,
      maxMessageBytes: 8192,
    }),
  ).rejects.toMatchObject({
    side: 'source',
    codeName: 'RESOURCE_EXHAUSTED',
    message: expect.stringMatching(
      /^source: RESOURCE_EXHAUSTED: org big-zi \(Big big-zi\) is larger than --max-message-bytes 8192.*--via-gcs/,
    ),
  });
  expect((await postJson(idport, '/admin/v1/export', { org_ids: ['big-zi'], response_output: true })).status).toBe(404);
});

test('one resource bigger than the limit cannot go to ZITADEL in any part: named, nothing sent', async () => {
  const org = {
    orgId: 'huge-text-iz',
    org: { name: 'Huge text' },
    loginTexts: [{ language: 'en', loginText: { title: 'x'.repeat(6000) } }],
    orgState: 'ORG_STATE_ACTIVE',
  };
  await seed(idport, [org]);

  await expect(
    migrate({
      source: side(idport),
      target: side(zitadel),
      orgIds: [org.orgId],
      withPasswords: false,
      withOtp: false,
      maxMessageBytes: 4096,
    }),
  ).rejects.toMatchObject({
    side: 'target',
    codeName: 'RESOURCE_EXHAUSTED',
    message: expect.stringContaining('org huge-text-iz: login_texts en alone is'),
  });
  expect((await postJson(zitadel, '/admin/v1/export', { org_ids: [org.orgId], response_output: true })).status).toBe(404);
});

test('options ZITADEL has no counterpart for are refused for a ZITADEL target', async () => {
  await expect(
    migrate({ source: side(idport), target: side(zitadel), withPasswords: false, withOtp: false, dryRun: true }),
  ).rejects.toMatchObject({ name: 'UsageError', message: expect.stringContaining('--dry-run') });
  await expect(
    migrate({ source: side(idport), target: side(zitadel), withPasswords: false, withOtp: false, conflictPolicy: 'skip' }),
  ).rejects.toMatchObject({ name: 'UsageError' });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/migrate.ts', ...args],
      { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

test('the CLI, both directions with token files: exit 0, a progress line per org, no token printed', async () => {
  const orgs = seededOrgs('-cli');
  await seed(zitadel, orgs);
  const zitadelPat = path.join(dir, 'zitadel.pat');
  const idportPat = path.join(dir, 'admin.pat');
  await Promise.all([writeFile(zitadelPat, `${zitadel.token}\n`), writeFile(idportPat, `${idport.token}\n`)]);
  const orgArgs = ids(orgs).flatMap((id) => ['--org', id]);

  const there = await runCli([
    '--from',
    zitadel.url,
    '--from-token-file',
    zitadelPat,
    '--to',
    idport.url,
    '--to-token-file',
    idportPat,
    ...orgArgs,
    '--with-passwords',
    '--with-otp',
  ]);
  expect(there.code).toBe(0);
  expect(there.stdout).toMatch(/^2 org\(s\) imported\ncreated \d+, unchanged 0, updated 0, skipped 0, failed 0\n$/);
  expect(there.stderr.trim().split('\n')).toEqual(
    ids(orgs).map((id) =>
      expect.stringMatching(new RegExp(`^migrate: target: org ${id} \\(.+\\): sent, \\d+ resource\\(s\\) in 1 message\\(s\\)$`)),
    ),
  );

  // Back again into a fresh "ZITADEL": the first one still holds the orgs.
  const other = await startTestApp({ services: { idport: false } });
  try {
    const otherPat = path.join(dir, 'other.pat');
    await writeFile(otherPat, other.token);
    const back = await runCli([
      '--from',
      idport.url,
      '--from-token-file',
      idportPat,
      '--to',
      other.url,
      '--to-token-file',
      otherPat,
      ...orgArgs,
      '--with-passwords',
      '--with-otp',
    ]);
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/^2 org\(s\) imported\nsucceeded \d+, failed 0\n$/);
    expect(back.stderr).toMatch(
      new RegExp(
        `^migrate: target: org ${ids(orgs)[0]} \\(.+\\): imported, \\d+ resource\\(s\\) in \\d+ call\\(s\\), 0 error\\(s\\)$`,
        'm',
      ),
    );
    for (const run of [there, back]) {
      for (const token of [zitadel.token, idport.token, other.token]) expect(run.stdout + run.stderr).not.toContain(token);
    }
    expect(await exported(other, ids(orgs))).toEqual(await exported(zitadel, ids(orgs)));
  } finally {
    await other.close();
  }
});
