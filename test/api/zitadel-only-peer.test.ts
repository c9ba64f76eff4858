import * as grpc from '@grpc/grpc-js';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import * as reflection from '../../gen/grpc/reflection/v1/reflection_pb.js';
import { JobService } from '../../gen/idport/v1/jobs_pb.js';
import { MigrationService } from '../../gen/idport/v1/migration_pb.js';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { serviceDefinition } from '../../src/cli/grpc-client.js';
import { detectKind } from '../../src/cli/migrate/detect.js';
import { loadConfig } from '../../src/config.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { postJson } from '../support/export-helpers.js';
import { createGrpcClient } from '../support/grpc-client.js';

// IDPORT_SERVICES=zitadel: an idport that speaks only ZITADEL's contract, the peer the migrate
// tests use in ZITADEL's place. Its own package must be gone from every door, reflection too.

let peer: TestApp;
let full: TestApp;

beforeAll(async () => {
  [peer, full] = await Promise.all([startTestApp({ services: { idport: false } }), startTestApp()]);
});

afterAll(async () => {
  await Promise.all([peer?.close(), full?.close()]);
});

const bearer = (app: TestApp) => {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${app.token}`);
  return metadata;
};

async function listServices(app: TestApp): Promise<string[]> {
  const client = createGrpcClient(reflection.ServerReflection, `127.0.0.1:${app.port}`);
  const names: string[] = [];
  for await (const answer of client.serverReflectionInfo([{ messageRequest: { case: 'listServices', value: '' } }])) {
    if (answer.messageResponse.case === 'listServicesResponse') names.push(...answer.messageResponse.value.service.map((s) => s.name));
  }
  return names.sort();
}

test('the setting: IDPORT_SERVICES=zitadel, default both, anything else refused', () => {
  expect(loadConfig({ IDPORT_SERVICES: 'zitadel' }).services).toEqual({ idport: false });
  expect(loadConfig({}).services).toEqual({ idport: true });
  expect(loadConfig({ IDPORT_SERVICES: 'zitadel,idport' }).services).toEqual({ idport: true });
  expect(() => loadConfig({ IDPORT_SERVICES: 'idport' })).toThrow(/IDPORT_SERVICES/);
  expect(() => loadConfig({ IDPORT_SERVICES: 'zitadel,grpc' })).toThrow(/IDPORT_SERVICES/);
});

test('reflection lists ZITADEL’s services and not idport.v1', async () => {
  const [onPeer, onFull] = await Promise.all([listServices(peer), listServices(full)]);
  expect(onFull).toContain(MigrationService.typeName);
  expect(onFull).toContain(JobService.typeName);
  expect(onPeer).not.toContain(MigrationService.typeName);
  expect(onPeer).toEqual(onFull.filter((name) => !name.startsWith('idport.v1.')));
});

test('idport.v1 is UNIMPLEMENTED over gRPC, 404 on REST, unknown to health', async () => {
  const migration = createGrpcClient(MigrationService, `127.0.0.1:${peer.port}`);
  const stream = async () => {
    for await (const _ of migration.streamExport({ request: {} }, { metadata: bearer(peer) })) {
      // nothing may arrive
    }
  };
  await expect(stream()).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });

  expect((await postJson(peer, '/idport/v1/import', { request: {} })).status).toBe(404);
  expect((await postJson(peer, `/${MigrationService.typeName}/ImportData`, {})).status).toBe(404);

  const health = createGrpcClient(Health, `127.0.0.1:${peer.port}`);
  await expect(health.check({ service: MigrationService.typeName })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  expect((await health.check({ service: AdminService.typeName })).status).toBe(1);
});

test('ZITADEL’s own API still answers', async () => {
  const admin = createGrpcClient(AdminService, `127.0.0.1:${peer.port}`);
  const orgs = await admin.listOrgs({}, { metadata: bearer(peer) });
  expect(orgs.result.length).toBeGreaterThan(0);
  const exported = await postJson(peer, '/admin/v1/export', { response_output: true });
  expect(exported.status).toBe(200);
});

test('migrate detects each kind by reflection, and by UNIMPLEMENTED without it', async () => {
  const signal = new AbortController().signal;
  expect(await detectKind('source', { url: peer.url, token: peer.token }, signal)).toBe('zitadel');
  expect(await detectKind('source', { url: full.url, token: full.token }, signal)).toBe('idport');
  expect(await detectKind('target', { url: full.url, token: 'not-a-token' }, signal)).toBe('idport');
  expect(await detectKind('target', { url: full.url, token: full.token, kind: 'zitadel' }, signal)).toBe('zitadel');
});

/** A bare grpc-js server (no reflection), serving StreamExport only when `withMigration`. */
async function bareServer(withMigration: boolean): Promise<{ url: string; close(): void }> {
  const server = new grpc.Server();
  if (withMigration) {
    const definition = serviceDefinition(MigrationService);
    server.addService(
      { streamExport: definition.streamExport! },
      {
        streamExport: (call: grpc.ServerWritableStream<unknown, unknown>) => {
          call.emit('error', { code: grpc.status.NOT_FOUND, details: 'organisations not found' });
        },
      },
    );
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { url: `http://127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

test('a server without reflection: the answer UNIMPLEMENTED tells ZITADEL from idport', async () => {
  const [zitadelLike, idportLike] = await Promise.all([bareServer(false), bareServer(true)]);
  try {
    const signal = new AbortController().signal;
    expect(await detectKind('target', { url: zitadelLike.url, token: 'x' }, signal)).toBe('zitadel');
    expect(await detectKind('target', { url: idportLike.url, token: 'x' }, signal)).toBe('idport');
  } finally {
    zitadelLike.close();
    idportLike.close();
  }
});

test('an unreachable side: UNAVAILABLE, naming the side', async () => {
  const closed = await startTestApp();
  const url = closed.url;
  await closed.close();
  await expect(detectKind('target', { url, token: 'x' }, new AbortController().signal)).rejects.toMatchObject({
    side: 'target',
    codeName: 'UNAVAILABLE',
  });
});
