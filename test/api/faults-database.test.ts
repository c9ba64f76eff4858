import { Code } from '@connectrpc/connect';
import pg from 'pg';
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from '../../gen/grpc/health/v1/health_pb.js';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createGrpcClient } from '../support/grpc-client.js';
import { importOrgs } from '../support/import-client.js';
import { bulkOrgs } from '../support/import-data.js';
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-postgres.js';
import { createCallers, PROTOCOLS } from '../support/protocols.js';

/**
 * Issue 9, class 4 (database faults). The suite starts its OWN PostgreSQL cluster (never the
 * shared one) and stops it: mid-import, and for a whole outage. Every call then answers
 * UNAVAILABLE (503 on REST), readiness says NOT_SERVING, liveness stays up, and once the
 * database is back everything works again, with the whole pool: connections cut mid-transaction
 * are given back (src/persistence/pool-reaper.ts).
 */
let db: PrivatePostgres;
let app: TestApp;
let callers: ReturnType<typeof createCallers>;
const logged: string[] = [];
/** The current app's database on the private cluster. */
let appDbUrl: string;

/** A fresh app on a fresh database of the private cluster (each group starts clean). */
async function freshApp(): Promise<void> {
  callers?.close();
  await app?.close().catch(() => undefined);
  const name = `fault_${Math.random().toString(16).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(db.url);
  url.pathname = `/${name}`;
  appDbUrl = url.toString();
  app = await startTestApp(
    { database: { kind: 'postgres', url: url.toString(), poolMax: 4 } },
    { logger: { info() {}, warn() {}, error: (m) => logged.push(m) } },
  );
  callers = createCallers(app.url);
}

beforeAll(async () => {
  db = await startPrivatePostgres();
  await freshApp();
}, 60_000);
afterAll(async () => {
  callers?.close();
  await app?.close().catch(() => undefined);
  await db?.destroy();
});

/** Resolves once `sql` returns a row, asked on the test's own connection (an event, not a sleep). */
async function whenRow(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: appDbUrl });
  await client.connect();
  try {
    for (;;) {
      if ((await client.query(sql)).rowCount) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    await client.end();
  }
}

async function ready() {
  const res = await fetch(`${app.url}/debug/ready`);
  return { status: res.status, body: await res.json() };
}

test('while the database runs: ready, SERVING', async () => {
  expect(await ready()).toEqual({ status: 200, body: { status: 'SERVING' } });
  const health = createGrpcClient(Health, `127.0.0.1:${app.port}`);
  try {
    await expect(health.check({ service: '' })).resolves.toMatchObject({ status: ServingStatus.SERVING });
  } finally {
    health.close();
  }
});

describe.each(PROTOCOLS)('%s: the database stopped mid-import', (protocol) => {
  beforeAll(freshApp, 30_000);
  afterEach(async () => {
    await db.start();
  });

  test('the import answers UNAVAILABLE (503 on REST)', async () => {
    const orgs = bulkOrgs(`flt-${protocol}`, 40, 100);
    const call = importOrgs(callers[protocol], app.token, orgs, { timeout: '2m' });
    // Stop the cluster once the first org has committed: the import is then under way.
    await whenRow(`select 1 from org where id like 'flt-${protocol}-%' limit 1`);
    await db.stop();
    const result = await call;
    expect(result).toMatchObject({ ok: false, code: Code.Unavailable });
    if (protocol === 'rest' && !result.ok) expect(result.httpStatus).toBe(503);
    expect(logged.some((m) => m.includes('Unavailable'))).toBe(true);
  }, 60_000);
});

describe('transactions cut by a restart leave the pool whole', () => {
  const POOL = 4;
  beforeAll(freshApp, 30_000);
  afterAll(() => db.start());

  test(`${POOL} imports cut at once (the whole pool), then ${3 * POOL} calls in a row all answer`, async () => {
    // As many transactions in flight as the pool has connections: each one's ROLLBACK fails on
    // the dead socket, the case where kysely never hands the connection back.
    const calls = Array.from({ length: POOL }, (_, i) =>
      importOrgs(callers['connect-json'], app.token, bulkOrgs(`leak${i}`, 40, 100), { timeout: '2m' }),
    );
    for (let i = 0; i < POOL; i++) await whenRow(`select 1 from org where id like 'leak${i}-%' limit 1`);
    await db.stop();
    for (const result of await Promise.all(calls)) expect(result).toMatchObject({ ok: false, code: Code.Unavailable });
    await db.start();
    for (let i = 0; i < 3 * POOL; i++) {
      const protocol = PROTOCOLS[i % PROTOCOLS.length]!;
      const list = await callers[protocol].call(AdminService.method.listOrgs, {}, { token: app.token });
      expect({ i, protocol, ok: list.ok }).toEqual({ i, protocol, ok: true });
    }
    const imported = await importOrgs(callers.grpc, app.token, bulkOrgs('after', 2, 5), { timeout: '1m' });
    expect(imported).toMatchObject({ ok: true });
    expect(await ready()).toEqual({ status: 200, body: { status: 'SERVING' } });
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(/^idport_db_pool_connections\{state="waiting"\} (\d+)$/m.exec(metrics)?.[1]).toBe('0');
  }, 120_000);
});

describe('during an outage', () => {
  beforeAll(async () => {
    await freshApp();
    await db.stop();
  }, 30_000);
  afterAll(() => db.start());

  test.each(PROTOCOLS)('%s: ListOrgs and ExportData answer UNAVAILABLE', async (protocol) => {
    const list = await callers[protocol].call(AdminService.method.listOrgs, {}, { token: app.token });
    expect(list).toMatchObject({ ok: false, code: Code.Unavailable });
    const exported = await callers[protocol].call(AdminService.method.exportData, { responseOutput: true }, { token: app.token });
    expect(exported).toMatchObject({ ok: false, code: Code.Unavailable });
    if (protocol === 'rest') expect(list).toMatchObject({ httpStatus: 503 });
  });

  test('readiness: /debug/ready 503 NOT_SERVING and grpc.health NOT_SERVING; liveness stays up', async () => {
    expect(await ready()).toEqual({ status: 503, body: { status: 'NOT_SERVING', failing: ['database'] } });
    const health = createGrpcClient(Health, `127.0.0.1:${app.port}`);
    try {
      await expect(health.check({ service: '' })).resolves.toMatchObject({ status: ServingStatus.NOT_SERVING });
      await expect(health.check({ service: 'zitadel.admin.v1.AdminService' })).resolves.toMatchObject({
        status: ServingStatus.NOT_SERVING,
      });
    } finally {
      health.close();
    }
    expect((await fetch(`${app.url}/debug/healthz`)).status).toBe(200);
    expect((await fetch(`${app.url}/admin/v1/healthz`)).status).toBe(200);
  });
});

test('after the restart: ready again and calls succeed', async () => {
  expect(await ready()).toEqual({ status: 200, body: { status: 'SERVING' } });
  for (const protocol of PROTOCOLS) {
    expect(await callers[protocol].call(AdminService.method.listOrgs, {}, { token: app.token })).toMatchObject({ ok: true });
  }
});
