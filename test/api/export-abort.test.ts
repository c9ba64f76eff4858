/**
 * Issue 10: on PostgreSQL the export reads each org and kind with COPY TO inside its snapshot
 * transaction. A client that goes away in the middle of that COPY must not leave the
 * connection stuck in it: the COPY is cancelled, the transaction rolled back, the connection
 * given back to the pool, and the next export works. On PGlite (a cursor, no server) the same
 * call shows the session is given back.
 */
import * as http2 from 'node:http2';
import { create, toBinary } from '@bufbuild/protobuf';
import pg from 'pg';
import { StreamExportRequestSchema } from '../../gen/idport/v1/migration_pb.js';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { bigOrg, seed } from '../support/export-helpers.js';
import { expectOk } from '../support/import-client.js';
import { createCaller } from '../support/protocols.js';

const PATH = '/idport.v1.MigrationService/StreamExport';
const USERS = 30_000;

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
  // ~7 MB of users: more than the HTTP/2 window and the socket buffers (loopback TCP buffers
  // grow to megabytes) hold, so PostgreSQL is still sending the COPY when the client goes.
  await seed(app, [bigOrg('ab1', USERS)]);
}, 120_000);
afterAll(() => app?.close());

/** The app database's other backends: those in a transaction, and those running a COPY. */
async function backends(): Promise<{ inTransaction: number; copying: number }> {
  const client = new pg.Client({ connectionString: (app.config.database as { url: string }).url });
  await client.connect();
  try {
    const res = await client.query(
      `select count(*) filter (where state like 'idle in transaction%' or (state = 'active' and xact_start is not null))::int as tx,
              count(*) filter (where state = 'active' and query ilike 'copy (%')::int as copying
       from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`,
    );
    return { inTransaction: res.rows[0].tx as number, copying: res.rows[0].copying as number };
  } finally {
    await client.end();
  }
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 20));

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
}

test('a StreamExport whose client goes away mid-COPY leaves no transaction open, and the next export works', async () => {
  const session = http2.connect(app.url);
  const caller = createCaller('connect-json', app.url);
  try {
    const request = toBinary(StreamExportRequestSchema, create(StreamExportRequestSchema, { request: { timeout: '10m' } }));
    const head = Buffer.alloc(5);
    head.writeUInt32BE(request.length, 1);
    const stream = session.request({
      ':method': 'POST',
      ':path': PATH,
      authorization: `Bearer ${app.token}`,
      'content-type': 'application/grpc+proto',
      te: 'trailers',
    });
    stream.end(Buffer.concat([head, request]));
    // The first bytes, then no more reading: the server's writes block, and so does its export.
    await new Promise<void>((resolve, reject) => {
      stream.once('data', () => {
        stream.pause();
        resolve();
      });
      stream.once('error', reject);
    });

    if (app.config.database.kind === 'postgres') {
      // Held inside the users' COPY: PostgreSQL is blocked sending it.
      while ((await backends()).copying < 1) await pause();
    }
    stream.close(http2.constants.NGHTTP2_CANCEL);

    // The call ends on the server, and (PostgreSQL) its transaction and COPY are gone.
    while ((await metric('idport_calls_in_flight')) > 0) await pause();
    if (app.config.database.kind === 'postgres') {
      while ((await backends()).inTransaction > 0) await pause();
      expect(await backends()).toEqual({ inTransaction: 0, copying: 0 });
    }

    // The connection went back healthy: a whole export reads every user.
    const res = expectOk(await caller.call(AdminService.method.exportData, { responseOutput: true, timeout: '1m' }, { token: app.token }));
    const orgs = res.orgs as { orgId: string; humanUsers?: unknown[] }[];
    expect(orgs.find((o) => o.orgId === 'ab1')?.humanUsers).toHaveLength(USERS);
    expect(await metric('idport_db_pool_connections{state="waiting"}')).toBe(0);
  } finally {
    caller.close();
    session.destroy();
  }
}, 120_000);
