import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonObject } from '@bufbuild/protobuf';
import { create, fromBinary, fromJson, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { MigrationService, Outcome, StreamExportRequestSchema, StreamExportResponseSchema } from '../../gen/idport/v1/migration_pb.js';
import { DataOrgSchema } from '../../gen/zitadel/admin_pb.js';
import { type MigrationReport, migrate } from '../../src/cli/migrate.js';
import { seededOrgs } from '../fixtures/data-orgs.js';
import { startTestApp, type TestApp } from '../support/app.js';

// src/cli/migrate.ts between two real apps: StreamExport on the source piped into StreamImport
// on the target over grpc-js, as a function and as the CLI process.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let source: TestApp;
let target: TestApp;
let dir: string;
const fixture = seededOrgs('-mig') as unknown as JsonObject[];
const dryRunFixture = seededOrgs('-mdry') as unknown as JsonObject[];
const orgIds = fixture.map((o) => String(o.orgId));

async function post(app: TestApp, urlPath: string, body: unknown, token = app.token) {
  const res = await fetch(`${app.url}${urlPath}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as JsonObject };
}

const exportFrom = (app: TestApp, ids: string[]) =>
  post(app, '/admin/v1/export', { org_ids: ids, with_passwords: true, with_otp: true, response_output: true });

const endpoints = (overrides: { sourceToken?: string; targetToken?: string } = {}) => ({
  source: { url: source.url, token: overrides.sourceToken ?? source.token },
  target: { url: target.url, token: overrides.targetToken ?? target.token },
});

const outcomes = (r: MigrationReport) => [...new Set(r.results.map((x) => Outcome[x.outcome]))].sort();

beforeAll(async () => {
  [source, target] = await Promise.all([startTestApp(), startTestApp()]);
  dir = await mkdtemp(path.join(tmpdir(), 'idport-migrate-'));
  const seeded = await post(source, '/admin/v1/import', { timeout: '1m', data_orgs: { orgs: [...fixture, ...dryRunFixture] } });
  expect({ status: seeded.status, errors: seeded.json.errors ?? [] }).toEqual({ status: 200, errors: [] });
});

afterAll(async () => {
  await Promise.all([source?.close(), target?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('moves the orgs with passwords and OTP: the target exports the fixture exactly', async () => {
  const report = await migrate({ ...endpoints(), orgIds, withPasswords: true, withOtp: true, timeout: '1m', itemsPerMessage: 2 });

  expect(report.response?.errors).toEqual([]);
  expect(outcomes(report)).toEqual(['CREATED']);
  expect(report.totals.failed).toBe(0n);
  expect(report.totals.created).toBe(BigInt(report.results.length));
  expect(report.response?.success?.orgs.map((o) => o.orgId)).toEqual(orgIds);

  const exported = await exportFrom(target, orgIds);
  expect(exported.status).toBe(200);
  expect(exported.json.orgs).toEqual(fixture);
});

test('running it again: everything UNCHANGED, no failures', async () => {
  const report = await migrate({ ...endpoints(), orgIds, withPasswords: true, withOtp: true });

  expect(outcomes(report)).toEqual(['UNCHANGED']);
  expect(report.totals.failed).toBe(0n);
  expect(report.response?.errors).toEqual([]);
  expect((await exportFrom(target, orgIds)).json.orgs).toEqual(fixture);
});

test('a bad source token: UNAUTHENTICATED from the source', async () => {
  await expect(migrate({ ...endpoints({ sourceToken: 'not-a-token' }), orgIds, withPasswords: true, withOtp: true })).rejects.toMatchObject(
    {
      side: 'source',
      codeName: 'UNAUTHENTICATED',
    },
  );
});

test('a bad target token: UNAUTHENTICATED from the target', async () => {
  await expect(migrate({ ...endpoints({ targetToken: 'not-a-token' }), orgIds, withPasswords: true, withOtp: true })).rejects.toMatchObject(
    {
      side: 'target',
      codeName: 'UNAUTHENTICATED',
    },
  );
});

test('an unknown org id: NOT_FOUND from the source', async () => {
  await expect(migrate({ ...endpoints(), orgIds: ['no-such-org'], withPasswords: false, withOtp: false })).rejects.toMatchObject({
    side: 'source',
    codeName: 'NOT_FOUND',
    message: expect.stringContaining('NOT_FOUND'),
  });
});

test('a timeout that has passed: DEADLINE_EXCEEDED', async () => {
  await expect(migrate({ ...endpoints(), orgIds, withPasswords: false, withOtp: false, timeout: '1ns' })).rejects.toMatchObject({
    codeName: 'DEADLINE_EXCEEDED',
  });
});

test('dry run: a full report, nothing written', async () => {
  const ids = dryRunFixture.map((o) => String(o.orgId));

  const report = await migrate({ ...endpoints(), orgIds: ids, withPasswords: true, withOtp: true, dryRun: true });

  expect(report.dryRun).toBe(true);
  expect(outcomes(report)).toEqual(['CREATED']);
  expect(new Set(report.results.map((r) => r.orgId))).toEqual(new Set(ids));
  expect((await exportFrom(target, ids)).status).toBe(404);
});

/** A source whose StreamExport sends `parts` of an org, then fails with INTERNAL. */
async function failingSource(parts: JsonObject[]): Promise<{ url: string; close(): void }> {
  const server = new grpc.Server();
  const method = MigrationService.method.streamExport;
  server.addService(
    {
      streamExport: {
        path: `/${MigrationService.typeName}/${method.name}`,
        requestStream: false,
        responseStream: true,
        requestSerialize: (m: unknown) => Buffer.from(toBinary(StreamExportRequestSchema, m as never)),
        requestDeserialize: (b: Buffer) => fromBinary(StreamExportRequestSchema, b),
        responseSerialize: (m: unknown) => Buffer.from(toBinary(StreamExportResponseSchema, m as never)),
        responseDeserialize: (b: Buffer) => fromBinary(StreamExportResponseSchema, b),
      },
    },
    {
      streamExport: async (call: grpc.ServerWritableStream<unknown, unknown>) => {
        for (const part of parts) {
          // One message at a time: the next is written once grpc-js has flushed this one.
          await new Promise((r) => call.write(create(StreamExportResponseSchema, { org: fromJson(DataOrgSchema, part) }), r));
        }
        call.emit('error', { code: grpc.status.INTERNAL, details: 'disk on fire' });
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { url: `http://127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

// Org A is complete when B starts, so the target imports A's first pass while B's parts arrive;
// the cancel rolls back the transaction the target has open, and the later passes never run.
test('the source fails midway: INTERNAL from the source, the import is cancelled', async () => {
  const [a, b] = seededOrgs('-mfail') as unknown as [JsonObject, JsonObject];
  const partsOf = (org: JsonObject) =>
    Object.keys(org)
      .filter((k) => k !== 'orgId')
      .map((k) => ({ orgId: org.orgId, [k]: org[k] }) as JsonObject);
  const fake = await failingSource([...partsOf(a), ...partsOf(b).slice(0, 2)]);
  try {
    await expect(
      migrate({ source: { url: fake.url, token: 'x' }, target: endpoints().target, withPasswords: true, withOtp: true }),
    ).rejects.toMatchObject({ side: 'source', codeName: 'INTERNAL', message: expect.stringContaining('import was cancelled') });
  } finally {
    fake.close();
  }
  // A may or may not have committed its first pass before the cancel (timing); B never started one.
  expect((await exportFrom(target, [String(b.orgId)])).status).toBe(404);
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/migrate.ts', ...args],
      { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

test('the CLI: exit code 0, a summary, and neither token printed', async () => {
  const tokenFile = path.join(dir, 'source.pat');
  await writeFile(tokenFile, `${source.token}\n`);

  const run = await runCli(
    ['--from', source.url, '--from-token-file', tokenFile, '--to', target.url, ...orgIds.flatMap((id) => ['--org', id])].concat([
      '--with-passwords',
      '--with-otp',
      '--timeout',
      '1m',
    ]),
    { IDPORT_TARGET_TOKEN: target.token },
  );

  // Issue 15: one progress line per org on stderr, nothing else.
  expect(run.code).toBe(0);
  expect(run.stderr.trim().split('\n')).toEqual(
    orgIds.map((id) =>
      expect.stringMatching(new RegExp(`^migrate: target: org ${id} \\(.*\\): sent, \\d+ resource\\(s\\) in \\d+ message\\(s\\)$`)),
    ),
  );
  expect(run.stdout).toMatch(/created 0, unchanged \d+, updated 0, skipped 0, failed 0/);
  for (const output of [run.stdout, run.stderr]) {
    expect(output).not.toContain(source.token);
    expect(output).not.toContain(target.token);
  }
});

test('the CLI: exit code 2 with the code name on a bad token, and on a usage error', async () => {
  const bad = await runCli(['--from', source.url, '--to', target.url, '--org', orgIds[0]!], {
    IDPORT_SOURCE_TOKEN: 'not-a-token',
    IDPORT_TARGET_TOKEN: target.token,
  });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^migrate: source: UNAUTHENTICATED/);
  expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  expect(bad.stderr + bad.stdout).not.toContain(target.token);

  const usage = await runCli(['--from', source.url], { IDPORT_SOURCE_TOKEN: source.token });
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain('--to URL is required');
});
