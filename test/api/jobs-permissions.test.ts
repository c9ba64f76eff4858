import type { DescMethod, JsonObject } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { Metadata } from '@grpc/grpc-js';
import { JobService } from '../../gen/idport/v1/jobs_pb.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createGrpcClient, isGrpcError } from '../support/grpc-client.js';
import { createCallers, PROTOCOLS } from '../support/protocols.js';
import { makeRoleHolder } from '../support/roles.js';

/**
 * Every JobService method, on every protocol: no token is UNAUTHENTICATED; a role without the
 * method's permission is PERMISSION_DENIED; IAM_OWNER_VIEWER (iam.read) may read jobs and the
 * audit trail but not start or cancel jobs. A permitted call aims at nothing (an unknown job,
 * an import with no data), so nothing changes.
 */
const unary: { name: string; method: DescMethod; request: JsonObject; write: boolean }[] = [
  { name: 'StartImport', method: JobService.method.startImport, request: { request: {} }, write: true },
  { name: 'StartExport', method: JobService.method.startExport, request: { request: { responseOutput: true } }, write: true },
  { name: 'GetJob', method: JobService.method.getJob, request: { jobId: 'no-such-job' }, write: false },
  { name: 'ListJobs', method: JobService.method.listJobs, request: { principal: 'no-one' }, write: false },
  { name: 'CancelJob', method: JobService.method.cancelJob, request: { jobId: 'no-such-job' }, write: true },
  { name: 'ListAuditEvents', method: JobService.method.listAuditEvents, request: { principal: 'no-one' }, write: false },
];
const PERMITTED = [Code.NotFound, Code.InvalidArgument];

let app: TestApp;
let callers: ReturnType<typeof createCallers>;
let viewer: string;
let orgOwner: string;
beforeAll(async () => {
  app = await startTestApp();
  callers = createCallers(app.url);
  viewer = (await makeRoleHolder(app, { iam: ['IAM_OWNER_VIEWER'] })).token;
  orgOwner = (await makeRoleHolder(app, { org: { roles: ['ORG_OWNER'] } })).token;
});
afterAll(async () => {
  callers.close();
  await app.close();
});

const matrix = PROTOCOLS.flatMap((protocol) => unary.map((probe) => ({ protocol, probe })));

test.each(matrix)('$protocol: $probe.name checks the caller', async ({ protocol, probe }) => {
  const call = (token?: string) => callers[protocol].call(probe.method, structuredClone(probe.request), token ? { token } : {});
  expect(await call()).toMatchObject({ ok: false, code: Code.Unauthenticated });
  expect(await call(orgOwner)).toMatchObject({ ok: false, code: Code.PermissionDenied });
  const asViewer = await call(viewer);
  if (probe.write) expect(asViewer).toMatchObject({ ok: false, code: Code.PermissionDenied });
  else expect(asViewer.ok || PERMITTED.includes(asViewer.code)).toBe(true);
  const asOwner = await call(app.token);
  expect(asOwner.ok || PERMITTED.includes(asOwner.code)).toBe(true);
});

const streams = [
  { name: 'GetJobReport', path: '/idport/v1/jobs/no-such-job/report', permitted: 404 },
  { name: 'WatchJob', path: '/idport/v1/jobs/no-such-job:watch', permitted: 404 },
  { name: 'ExportAuditEvents', path: '/idport/v1/audit:export?principal=no-one', permitted: 200 },
] as const;

test.each(streams)('REST: $name checks the caller', async ({ path, permitted }) => {
  const status = async (token?: string) =>
    (await fetch(`${app.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })).status;
  expect(await status()).toBe(401);
  expect(await status(orgOwner)).toBe(403);
  expect(await status(viewer)).toBe(permitted);
});

test.each(streams)('gRPC: $name checks the caller', async ({ name }) => {
  const client = createGrpcClient(JobService, `127.0.0.1:${app.port}`);
  const code = async (token?: string) => {
    const metadata = new Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    const request = { jobId: 'no-such-job', principal: 'no-one' };
    const stream =
      name === 'GetJobReport'
        ? client.getJobReport(request, { metadata })
        : name === 'WatchJob'
          ? client.watchJob(request, { metadata })
          : client.exportAuditEvents({ principal: 'no-one' }, { metadata });
    try {
      for await (const _ of stream as AsyncIterable<unknown>) {
        // drain
      }
      return 0; // gRPC OK
    } catch (e) {
      if (isGrpcError(e)) return e.code as number;
      throw e;
    }
  };
  try {
    expect(await code()).toBe(Code.Unauthenticated);
    expect(await code(orgOwner)).toBe(Code.PermissionDenied);
    expect(await code(viewer)).toBe(name === 'ExportAuditEvents' ? 0 : Code.NotFound);
  } finally {
    client.close();
  }
});
