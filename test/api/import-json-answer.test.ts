/**
 * ImportData's JSON answers (REST and Connect JSON, ZITADEL's and idport's) are written piece
 * by piece from the report (transport/json-answer.ts): on the wire they are the bytes
 * toJsonString gives for the answer the binary protocol decodes, chunked when long, compressed
 * as Connect negotiates it, with errors answered as before and a client that leaves midway
 * stopping the writing only. Dry runs of the same orgs give the same report each time.
 */
import * as http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { type DescMessage, fromBinary, fromJson, type JsonObject, toBinary, toJsonString } from '@bufbuild/protobuf';
import {
  ImportDataRequestSchema as DetailedRequestSchema,
  ImportDataResponseSchema as DetailedSchema,
  MigrationService,
} from '../../gen/idport/v1/migration_pb.js';
import { AdminService, ImportDataRequestSchema, ImportDataResponseSchema } from '../../gen/zitadel/admin_pb.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { type DataOrg, dataOrg, humanUser } from '../support/import-data.js';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});

afterAll(async () => {
  await app?.close();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function post(path: string, body: Uint8Array | string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, app.url),
      { method: 'POST', headers: { authorization: `Bearer ${app.token}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Long ids, so ZITADEL's answer (and idport's, with a result per resource) spans several 256 KiB chunks. */
function longOrg(p: string, users: number): DataOrg {
  const ids = Array.from({ length: users }, (_, i) => `${p}-user-${i}-${'x'.repeat(48)}`);
  const humanUsers = ids.map((id, i) =>
    humanUser(id, `${p}-u${i}`, i === 5 ? { profile: { firstName: 'Zoë «ü» 😀', lastName: '株式会社' } } : {}),
  );
  humanUsers.splice(40, 0, humanUser(`${p}-bad`, `${p}-bad`, { userName: '' }));
  const userMetadata = ids.map((id, i) => ({ id, key: `k${i % 3}-ü`, value: 'dmFsdWU=' }));
  return dataOrg(p, `Org ${p} «ü»`, { humanUsers, userMetadata });
}

/** The RPC's answer over Connect binary, written as connect-es writes proto JSON. */
async function referenceJson(rpcPath: string, schema: DescMessage, request: Uint8Array, headers: Record<string, string>) {
  const binary = await post(rpcPath, request, { 'content-type': 'application/proto', ...headers });
  expect(binary.status).toBe(200);
  return Buffer.from(toJsonString(schema, fromBinary(schema, binary.body)));
}

const API = [
  {
    name: 'ZITADEL ImportData',
    rest: '/admin/v1/import',
    rpc: `/${AdminService.typeName}/${AdminService.method.importData.name}`,
    schema: ImportDataResponseSchema,
    request: (org: DataOrg) => ({ json: { dataOrgs: { orgs: [org] } }, schema: ImportDataRequestSchema }),
    headers: { 'x-idport-dry-run': 'true' },
  },
  {
    name: "idport's ImportData",
    rest: '/idport/v1/import',
    rpc: `/${MigrationService.typeName}/${MigrationService.method.importData.name}`,
    schema: DetailedSchema,
    request: (org: DataOrg) => ({
      json: { request: { dataOrgs: { orgs: [org] } }, options: { dryRun: true } },
      schema: DetailedRequestSchema,
    }),
    headers: {},
  },
] as const;

describe.each(API)('$name', (api) => {
  const wire = (org: DataOrg) => {
    const { json, schema } = api.request(org);
    return { json: JSON.stringify(json), binary: toBinary(schema, fromJson(schema as typeof ImportDataRequestSchema, json as JsonObject)) };
  };

  test('a long answer is chunked and the same bytes on REST and Connect JSON, plain and gzip', async () => {
    const p = `json-long-${api.rest.split('/')[1]}`;
    const body = wire(longOrg(p, 2500));
    const expected = await referenceJson(api.rpc, api.schema, body.binary, api.headers);
    expect(expected.length).toBeGreaterThan(2 * 256 * 1024);
    for (const path of [api.rest, api.rpc]) {
      const plain = await post(path, body.json, { 'content-type': 'application/json', ...api.headers });
      expect({ path, status: plain.status, type: plain.headers['content-type'] }).toEqual({ path, status: 200, type: 'application/json' });
      expect({ path, length: plain.headers['content-length'], encoding: plain.headers['transfer-encoding'] }).toEqual({
        path,
        length: undefined,
        encoding: 'chunked',
      });
      expect(plain.body.equals(expected)).toBe(true);
      const gzip = await post(path, body.json, { 'content-type': 'application/json', 'accept-encoding': 'gzip', ...api.headers });
      expect({ path, status: gzip.status, encoding: gzip.headers['content-encoding'] }).toEqual({ path, status: 200, encoding: 'gzip' });
      expect(gunzipSync(gzip.body).equals(expected)).toBe(true);
    }
    const parsed = JSON.parse(expected.toString('utf8')) as JsonObject;
    expect(JSON.stringify(parsed)).toContain(`${p}-bad`);
  });

  test('a short answer keeps its content-length, and is compressed only from 1 KiB on', async () => {
    const p = `json-short-${api.rest.split('/')[1]}`;
    const body = wire(longOrg(p, 3));
    const expected = await referenceJson(api.rpc, api.schema, body.binary, api.headers);
    for (const path of [api.rest, api.rpc]) {
      const gzip = await post(path, body.json, { 'content-type': 'application/json', 'accept-encoding': 'gzip', ...api.headers });
      expect({ path, status: gzip.status }).toEqual({ path, status: 200 });
      expect(Number(gzip.headers['content-length'])).toBe(gzip.body.length);
      const bytes = gzip.headers['content-encoding'] === 'gzip' ? gunzipSync(gzip.body) : gzip.body;
      expect({ path, encoding: gzip.headers['content-encoding'] }).toEqual({
        path,
        encoding: expected.length >= 1024 ? 'gzip' : undefined,
      });
      expect(bytes.equals(expected)).toBe(true);
    }
  });

  test('errors answer as before: the REST gateway body, and Connect error JSON', async () => {
    const body = wire(longOrg(`json-error-${api.rest.split('/')[1]}`, 3));
    const refused = await post(api.rest, body.json, { 'content-type': 'application/json', authorization: 'Bearer nope' });
    expect({ status: refused.status, code: (JSON.parse(refused.body.toString()) as JsonObject).code }).toEqual({ status: 401, code: 16 });
    const bad = { 'content-type': 'application/json', 'x-idport-conflict-policy': 'maybe' };
    const rest = await post(api.rest, api.rest.startsWith('/admin') ? body.json : '{"request":{}}', bad);
    expect({ status: rest.status, code: (JSON.parse(rest.body.toString()) as JsonObject).code }).toEqual({ status: 400, code: 3 });
    const connect = await post(api.rpc, api.rest.startsWith('/admin') ? body.json : '{"request":{}}', bad);
    expect({ status: connect.status, code: (JSON.parse(connect.body.toString()) as JsonObject).code }).toEqual({
      status: 400,
      code: 'invalid_argument',
    });
  });
});

test('a client that leaves midway stops the answer; the server goes on serving', async () => {
  const body = JSON.stringify({ dataOrgs: { orgs: [longOrg('json-gone', 2500)] } });
  await new Promise<void>((resolve) => {
    const req = http.request(
      new URL('/admin/v1/import', app.url),
      { method: 'POST', headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json', 'x-idport-dry-run': 'true' } },
      (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      },
    );
    // Cut by us: whatever the socket reports next is expected.
    req.on('error', () => undefined);
    req.on('close', resolve);
    req.end(body);
  });
  const after = await post('/admin/v1/import', JSON.stringify({ dataOrgs: { orgs: [longOrg('json-after', 2)] } }), {
    'content-type': 'application/json',
    'x-idport-dry-run': 'true',
  });
  expect(after.status).toBe(200);
  expect(JSON.stringify(JSON.parse(after.body.toString()))).toContain('json-after-user-0');
});
