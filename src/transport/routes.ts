import type { DescMethod, DescService } from '@bufbuild/protobuf';
import { Code, ConnectError, createConnectRouter, type Interceptor, type ServiceImpl } from '@connectrpc/connect';
import type { UniversalHandler } from '@connectrpc/connect/protocol';
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from '@connectrpc/connect-node';
import { closeIfBodyUnread, type NodeServerRequest, type NodeServerResponse } from './node-types.js';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import { MigrationService } from '../../gen/idport/v1/migration_pb.js';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { ManagementService } from '../../gen/zitadel/management_pb.js';
import { registerHealth } from './health.js';
import { registerReflection } from './reflection.js';
import { clientParseErrors } from './parse-errors.js';
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
  registerHealth(router, API_SERVICES);
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

  const report = (where: string) => (reason: unknown) => {
    if (ConnectError.from(reason).code !== Code.Aborted) options.onUnexpected(`request to ${where} failed`, reason);
  };

  return function handle(req: NodeServerRequest, res: NodeServerResponse) {
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    const rpc = byPath.get(path);
    if (rpc) {
      rpc(universalRequestFromNodeRequest(req, res, undefined, undefined))
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
