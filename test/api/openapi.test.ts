/**
 * The OpenAPI document our buf plugin generates (scripts/openapi; `npm run check:generated`
 * keeps it fresh): valid OpenAPI 3.1 by a standard validator, served at /openapi.json, and
 * covering every REST route the gateway serves, each with request and response schemas.
 */
import { readFile } from 'node:fs/promises';
import { getOption } from '@bufbuild/protobuf';
import { Validator } from '@seriousme/openapi-schema-validator';
import { http } from '../../gen/google/api/annotations_pb.js';
import { compileRestRoutes } from '../../src/transport/rest-gateway.js';
import { API_SERVICES } from '../../src/transport/routes.js';
import { startTestApp, type TestApp } from '../support/app.js';

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: unknown;
        responses: Record<string, { content?: Record<string, { schema: { $ref?: string; properties?: { result?: { $ref?: string } } } }> }>;
      }
    >
  >;
  components: { schemas: Record<string, unknown> };
};
const FILE = new URL('../../openapi/idport.openapi.json', import.meta.url);
let doc: Doc;
let app: TestApp;

beforeAll(async () => {
  doc = JSON.parse(await readFile(FILE, 'utf8')) as Doc;
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

test('is a valid OpenAPI 3.1 document', async () => {
  const result = await new Validator().validate(structuredClone(doc) as unknown as Parameters<Validator['validate']>[0]);
  expect(result.errors ?? []).toEqual([]);
  expect(result.valid).toBe(true);
  expect(doc.openapi).toBe('3.1.0');
});

test('documents every REST route the gateway serves, with request and response schemas that resolve', () => {
  const refOk = (ref: string | undefined) => ref !== undefined && ref.replace('#/components/schemas/', '') in doc.components.schemas;
  const routes = compileRestRoutes(API_SERVICES);
  expect(routes.length).toBeGreaterThan(10);
  for (const route of routes) {
    const rule = getOption(route.method, http);
    const path = String(rule.pattern.value);
    const op = doc.paths[path]?.[route.verb.toLowerCase()];
    expect({ route: `${route.verb} ${path}`, documented: op !== undefined }).toEqual({ route: `${route.verb} ${path}`, documented: true });
    const ok = op!.responses['200']?.content;
    // A server stream is newline-delimited JSON, each line `{"result": message}` (grpc-gateway's shape).
    const ref =
      route.method.methodKind === 'server_streaming'
        ? ok?.['application/x-ndjson']?.schema.properties?.result?.$ref
        : ok?.['application/json']?.schema.$ref;
    expect({ route: `${route.verb} ${path}`, resolves: refOk(ref) }).toEqual({ route: `${route.verb} ${path}`, resolves: true });
    if (route.body === '*') expect(op!.requestBody).toBeDefined();
  }
  // idport's own import endpoint takes ZITADEL's request under "request", plus "options".
  const idportImport = doc.components.schemas['idport.v1.ImportDataRequest'] as { properties: Record<string, unknown> };
  expect(Object.keys(idportImport.properties).sort()).toEqual(['options', 'request']);
});

test('is served at /openapi.json, byte for byte', async () => {
  const res = await fetch(`${app.url}/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json');
  expect(await res.text()).toBe(await readFile(FILE, 'utf8'));
});
