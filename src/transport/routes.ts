import type { DescMethod, DescService, JsonValue } from '@bufbuild/protobuf';
import { Code, ConnectError, createConnectRouter, type Interceptor, type ServiceImpl } from '@connectrpc/connect';
import type { UniversalHandler, UniversalServerRequest } from '@connectrpc/connect/protocol';
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from '@connectrpc/connect-node';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import { MigrationService } from '../../gen/idport/v1/migration_pb.js';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { ManagementService } from '../../gen/zitadel/management_pb.js';
import { routeAdminShapedV1 } from './codec/data-org.js';
import { registerHealth } from './health.js';
import { closeIfBodyUnread, type NodeServerRequest, type NodeServerResponse } from './node-types.js';
import { clientParseErrors } from './parse-errors.js';
import { registerReflection } from './reflection.js';
import { compileRestRoutes, createRestGateway } from './rest-gateway.js';

/** The ZITADEL-compatible services idport serves (the REST gateway mounts their http rules). */
export const API_SERVICES: readonly DescService[] = [AdminService, ManagementService, MigrationService];

export interface HandlerOptions {
  admin: ServiceImpl<typeof AdminService>;
  management: ServiceImpl<typeof ManagementService>;
  migration: ServiceImpl<typeof MigrationService>;
  interceptors: Interceptor[];
  /** Largest request a client may send on any protocol. */
  maxRequestBytes: number;
  onUnexpected(message: string, cause: unknown): void;
  /** Readiness for grpc.health: false while draining on shutdown. */
  serving?: () => boolean;
}

/**
 * Connect JSON ImportData gets the same treatment as the REST path: an admin-shaped export sent
 * as `data_orgsv1` is read as `data_orgs` (see routeAdminShapedV1). Bodies over the limit or
 * not JSON pass on unchanged, for Connect to refuse as usual.
 */
async function withAdminShapedV1(uReq: UniversalServerRequest, maxBytes: number): Promise<UniversalServerRequest> {
  const source = (uReq.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let step = await source.next(); !step.done; step = await source.next()) {
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
      bytes = Buffer.from(JSON.stringify(routeAdminShapedV1(body)));
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

/** One node request handler for gRPC, gRPC-Web, Connect and the REST paths. */
export function createHttpHandler(options: HandlerOptions) {
  const router = createConnectRouter({
    interceptors: options.interceptors,
    readMaxBytes: options.maxRequestBytes,
    acceptCompression: [compressionGzip, compressionBrotli],
    // grpc-gateway (and ZITADEL) discard unknown JSON fields; so do we, on every protocol.
    jsonOptions: { ignoreUnknownFields: true },
  });
  router.service(AdminService, options.admin);
  router.service(ManagementService, options.management);
  router.service(MigrationService, options.migration);
  registerHealth(router, API_SERVICES, options.serving);
  registerReflection(router, [...API_SERVICES, Health]);

  const byPath = new Map<string, UniversalHandler>();
  const byMethod = new Map<DescMethod, UniversalHandler>();
  for (const h of router.handlers) {
    byPath.set(h.requestPath, h);
    byMethod.set(h.method, h);
  }
  const rest = createRestGateway({
    routes: compileRestRoutes(API_SERVICES),
    handlers: byMethod,
    maxBodyBytes: options.maxRequestBytes,
  });

  /** A client that goes away mid-response (a cancelled stream) is normal, not a server fault. */
  const GONE = ['ERR_HTTP2_INVALID_STREAM', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END', 'ECONNRESET', 'EPIPE'];
  const nodeCode = (e: unknown) => String((e as { code?: unknown } | undefined)?.code);
  const clientGone = (reason: unknown) => {
    const err = ConnectError.from(reason);
    return err.code === Code.Aborted || GONE.includes(nodeCode(reason)) || GONE.includes(nodeCode(err.cause));
  };
  const report = (where: string) => (reason: unknown) => {
    if (!clientGone(reason)) options.onUnexpected(`request to ${where} failed`, reason);
  };

  return function handle(req: NodeServerRequest, res: NodeServerResponse) {
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    const rpc = byPath.get(path);
    if (rpc) {
      const uReq = universalRequestFromNodeRequest(req, res, undefined, undefined);
      const isJsonImport = rpc.method === AdminService.method.importData && uReq.header.get('content-type') === 'application/json';
      (isJsonImport ? withAdminShapedV1(uReq, options.maxRequestBytes) : Promise.resolve(uReq))
        .then(rpc)
        .then(clientParseErrors)
        .then((uRes) => {
          closeIfBodyUnread(req, res);
          return universalResponseToNodeResponse(uRes, res);
        })
        .catch(report(path));
      return;
    }
    rest(req, res)
      .then((served) => {
        if (served) return;
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: Code.NotFound, message: `no route for ${req.method} ${path}`, details: [] }));
      })
      .catch(report(path));
  };
}
