import type { DescMethod, DescService, JsonObject, JsonValue } from '@bufbuild/protobuf';
import { Code, ConnectError, createConnectRouter, type Interceptor, type ServiceImpl } from '@connectrpc/connect';
import type { UniversalHandler, UniversalServerRequest } from '@connectrpc/connect/protocol';
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from '@connectrpc/connect-node';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import { JobService } from '../../gen/idport/v1/jobs_pb.js';
import { MigrationService } from '../../gen/idport/v1/migration_pb.js';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { ManagementService } from '../../gen/zitadel/management_pb.js';
import type { ReadinessStatus } from '../application/readiness.js';
import { markLoneSurrogates, routeByShape, routeWrappedByShape } from './codec/data-org-shape.js';
import type { AuthGate } from './gate/auth-gate.js';
import { boundJsonBody, type JsonLimits } from './gate/json-bounds.js';
import { registerHealth } from './health.js';
import { flatExportBody, flatImportBody } from './idport/flat-bodies.js';
import { toConnectError } from './interceptors/errors.interceptor.js';
import { createJsonAnswers, writeAnswer } from './json-answer.js';
import { closeIfBodyUnread, type NodeServerRequest, type NodeServerResponse } from './node-types.js';
import { clientParseErrors } from './parse-errors.js';
import { createProbeRoutes } from './probes-http.js';
import { registerReflection } from './reflection.js';
import { compileRestRoutes, createRestGateway } from './rest-gateway.js';

/** The ZITADEL-compatible services idport serves (the REST gateway mounts their http rules). */
export const API_SERVICES: readonly DescService[] = [AdminService, ManagementService, MigrationService, JobService];

export interface HandlerOptions {
  admin: ServiceImpl<typeof AdminService>;
  management: ServiceImpl<typeof ManagementService>;
  /** idport's own package; left out, idport speaks only ZITADEL's contract (IDPORT_SERVICES). */
  migration?: ServiceImpl<typeof MigrationService>;
  /** idport's jobs, served with the migration service. */
  jobs?: ServiceImpl<typeof JobService>;
  interceptors: Interceptor[];
  /** Authentication and permission, checked from the headers before any body byte is read. */
  gate: AuthGate;
  /** Largest request a client may send on any protocol. */
  maxRequestBytes: number;
  /** How deep and how long JSON in a request may be, on every protocol. */
  jsonLimits: JsonLimits;
  /** Readiness, for grpc.health and `/debug/ready`. */
  readiness: { status(): Promise<ReadinessStatus> };
  onUnexpected(message: string, cause: unknown): void;
  /**
   * Plain JSON surfaces that are not proto-based (Kratos' admin API, the realm API), tried in
   * order after the REST gateway; each answers true when it served the request.
   */
  fallbacks?: ReadonlyArray<(req: NodeServerRequest, res: NodeServerResponse) => Promise<boolean>>;
}

/**
 * Connect JSON ImportData gets the same treatment as the REST path: an admin-shaped export sent
 * as `data_orgsv1` is read as `data_orgs` (see routeByShape). Bodies over the limit or
 * not JSON pass on unchanged, for Connect to refuse as usual.
 */
async function withAdminShapedV1(
  uReq: UniversalServerRequest,
  maxBytes: number,
  route: (body: JsonObject) => JsonObject,
): Promise<UniversalServerRequest> {
  const source = (uReq.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let step = await nextOrFailure(source); !step.done; step = await nextOrFailure(source)) {
    if ('failure' in step) {
      // A body that breaks a bound (or a broken connection): Connect answers it as it would.
      const { failure } = step;
      return {
        ...uReq,
        body: (async function* () {
          yield* [];
          throw failure;
        })(),
      };
    }
    chunks.push(step.value);
    size += step.value.length;
    if (size > maxBytes) {
      // Too big to rewrite: hand on what was read and the rest, unread, for Connect's limit.
      const rest = { [Symbol.asyncIterator]: () => source };
      return {
        ...uReq,
        body: (async function* () {
          yield* chunks;
          yield* rest;
        })(),
      };
    }
  }
  let bytes = Buffer.concat(chunks);
  try {
    const body = JSON.parse(bytes.toString('utf8')) as JsonValue;
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      bytes = Buffer.from(JSON.stringify(route(body)));
    }
  } catch {
    // not JSON: Connect answers invalid_argument
  }
  uReq.header.set('content-length', String(bytes.length));
  return {
    ...uReq,
    body: (async function* () {
      yield bytes;
    })(),
  };
}

/**
 * JSON bodies rewritten before they are decoded: ImportData's data moved to the field its
 * content belongs to (data-org-shape.ts), and idport's wrapped requests posted as ZITADEL's
 * flat ones moved under `request` (idport/flat-bodies.ts).
 */
export const IMPORT_ROUTES = new Map<DescMethod, (body: JsonObject) => JsonObject>([
  [AdminService.method.importData, (body) => routeByShape(markLoneSurrogates(body) as JsonObject)],
  [MigrationService.method.importData, (body) => routeWrappedByShape(flatImportBody(markLoneSurrogates(body) as JsonObject))],
  [JobService.method.startImport, (body) => routeWrappedByShape(flatImportBody(markLoneSurrogates(body) as JsonObject))],
  [JobService.method.startExport, (body) => flatExportBody(body)],
]);

async function nextOrFailure(
  source: AsyncIterator<Uint8Array>,
): Promise<IteratorResult<Uint8Array> | { done: false; failure: ConnectError }> {
  try {
    return await source.next();
  } catch (e) {
    return { done: false, failure: toConnectError(e) };
  }
}

/** Unary answers written as streamed proto JSON (json-answer.ts): the imports', which name every resource imported. */
const STREAMED_JSON_ANSWERS = new Set<DescMethod>([AdminService.method.importData, MigrationService.method.importData]);
const ACCEPT_COMPRESSION = [compressionGzip, compressionBrotli];
/** connect-es's default (protocol/limit-io.js), stated so the streamed answers compress from the same size. */
const COMPRESS_MIN_BYTES = 1024;

/** One node request handler for gRPC, gRPC-Web, Connect and the REST paths. */
export function createHttpHandler(options: HandlerOptions) {
  const jsonAnswers = createJsonAnswers({
    methods: STREAMED_JSON_ANSWERS,
    acceptCompression: ACCEPT_COMPRESSION,
    compressMinBytes: COMPRESS_MIN_BYTES,
  });
  const router = createConnectRouter({
    interceptors: [jsonAnswers.interceptor, ...options.interceptors],
    requestGate: options.gate.requestGate,
    readMaxBytes: options.maxRequestBytes,
    acceptCompression: ACCEPT_COMPRESSION,
    compressMinBytes: COMPRESS_MIN_BYTES,
    // grpc-gateway (and ZITADEL) discard unknown JSON fields; so do we, on every protocol.
    jsonOptions: { ignoreUnknownFields: true },
  });
  router.service(AdminService, options.admin);
  router.service(ManagementService, options.management);
  if (options.migration) router.service(MigrationService, options.migration);
  if (options.jobs) router.service(JobService, options.jobs);
  const served = API_SERVICES.filter(
    (s) => (s !== MigrationService || options.migration !== undefined) && (s !== JobService || options.jobs !== undefined),
  );
  registerHealth(router, served, async () => (await options.readiness.status()).ready);
  const probes = createProbeRoutes(options.readiness);
  registerReflection(router, [...served, Health]);

  const byPath = new Map<string, UniversalHandler>();
  const byMethod = new Map<DescMethod, UniversalHandler>();
  for (const h of router.handlers) {
    byPath.set(h.requestPath, h);
    byMethod.set(h.method, h);
  }
  const rest = createRestGateway({
    routes: compileRestRoutes(served),
    handlers: byMethod,
    gate: options.gate,
    maxBodyBytes: options.maxRequestBytes,
    jsonLimits: options.jsonLimits,
    importRoutes: IMPORT_ROUTES,
    jsonAnswers,
  });

  /**
   * A client that goes away mid-response (a cancelled stream) is normal, not a server fault.
   * ECANCELED: a write the socket dropped because the client closed its stream (seen in
   * export-abort.test.ts, logged as an internal error before).
   */
  const GONE = ['ERR_HTTP2_INVALID_STREAM', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END', 'ECONNRESET', 'EPIPE', 'ECANCELED'];
  const nodeCode = (e: unknown) => String((e as { code?: unknown } | undefined)?.code);
  const clientGone = (reason: unknown) => {
    const err = ConnectError.from(reason);
    return err.code === Code.Aborted || GONE.includes(nodeCode(reason)) || GONE.includes(nodeCode(err.cause));
  };
  const report = (where: string) => (reason: unknown) => {
    if (!clientGone(reason)) options.onUnexpected(`request to ${where} failed`, reason);
  };

  async function serveRpc(rpc: UniversalHandler, req: NodeServerRequest, res: NodeServerResponse) {
    // The gate decides from the headers; a refused request's body is never read (Connect's
    // requestGate throws the stored refusal before it reads, in the caller's protocol).
    const decision = await options.gate.decide(rpc.method, req.headers);
    const values = options.gate.contextValues(decision);
    let uReq = universalRequestFromNodeRequest(req, res, undefined, values);
    const contentType = uReq.header.get('content-type');
    // Connect unary JSON: the answer is written by json-answer.ts; every other protocol as Connect writes it.
    const slot = decision.error ? undefined : jsonAnswers.reserve(rpc.method, contentType, values);
    if (!decision.error) {
      uReq = { ...uReq, body: boundJsonBody(uReq.body as AsyncIterable<Uint8Array>, contentType, options.jsonLimits) };
      const route = contentType === 'application/json' ? IMPORT_ROUTES.get(rpc.method) : undefined;
      if (route) uReq = await withAdminShapedV1(uReq, options.maxRequestBytes, route);
    }
    const uRes = await clientParseErrors(await rpc(uReq));
    closeIfBodyUnread(req, res);
    if (slot) await writeAnswer(await jsonAnswers.answer(uRes, slot, uReq.header.get('accept-encoding')), res);
    else await universalResponseToNodeResponse(uRes, res);
  }

  return function handle(req: NodeServerRequest, res: NodeServerResponse) {
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    const rpc = byPath.get(path);
    if (rpc) {
      serveRpc(rpc, req, res).catch(report(path));
      return;
    }
    probes(req, res, path)
      .then((served) => served || rest(req, res))
      .then(async (served) => {
        for (const fallback of options.fallbacks ?? []) {
          if (served) return;
          served = await fallback(req, res);
        }
        if (served) return;
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: Code.NotFound, message: `no route for ${req.method} ${path}`, details: [] }));
      })
      .catch(report(path));
  };
}
