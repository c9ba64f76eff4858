import * as grpc from '@grpc/grpc-js';
import * as reflection from '../../../gen/grpc/reflection/v1/reflection_pb.js';
import { MigrationService } from '../../../gen/idport/v1/migration_pb.js';
import { AdminService } from '../../../gen/zitadel/admin_pb.js';
import { GrpcClient, GrpcError } from '../grpc-client.js';
import { type Endpoint, type Kind, MigrationError, type Side } from './types.js';

/** Detection is a handful of tiny calls: a side that does not answer in this long is down. */
const DETECT_MS = 30_000;

/**
 * What `endpoint` speaks. Server reflection first (grpc/grpc doc/server-reflection.md; idport and
 * ZITADEL both serve it): a server that lists `idport.v1.MigrationService` is idport, one that
 * lists only `zitadel.admin.v1.AdminService` is ZITADEL. A server without reflection
 * (UNIMPLEMENTED) is asked for an export of a made-up org over MigrationService: only a server
 * without that service answers UNIMPLEMENTED; idport answers NOT_FOUND (or an auth error).
 */
export async function detectKind(side: Side, endpoint: Endpoint, signal: AbortSignal): Promise<Kind> {
  if (endpoint.kind) return endpoint.kind;
  const deadline = new Date(Date.now() + DETECT_MS);
  const reflect = new GrpcClient(reflection.ServerReflection, endpoint.url, endpoint.token);
  try {
    const [answer] = await reflect.bidiCollect(
      reflection.ServerReflection.method.serverReflectionInfo,
      [{ messageRequest: { case: 'listServices', value: '' } }],
      { signal, deadline },
    );
    if (answer?.messageResponse.case === 'listServicesResponse') {
      const names = new Set(answer.messageResponse.value.service.map((s) => s.name));
      if (names.has(MigrationService.typeName)) return 'idport';
      if (names.has(AdminService.typeName)) return 'zitadel';
    }
  } catch (e) {
    if (!(e instanceof GrpcError)) throw e;
    if (e.code !== grpc.status.UNIMPLEMENTED) throw new MigrationError(side, e, ' (while detecting the kind of server)');
  } finally {
    reflect.close();
  }
  return probe(side, endpoint, signal, deadline);
}

async function probe(side: Side, endpoint: Endpoint, signal: AbortSignal, deadline: Date): Promise<Kind> {
  const client = new GrpcClient(MigrationService, endpoint.url, endpoint.token);
  try {
    const stream = client.serverStream(
      MigrationService.method.streamExport,
      { request: { orgIds: ['idport-migrate-kind-probe'], timeout: '10s' }, itemsPerMessage: 1 },
      { signal, deadline },
    );
    // The first answer (a message or an error) tells; leaving the loop cancels the call.
    for await (const _ of stream) break;
    return 'idport';
  } catch (e) {
    if (!(e instanceof GrpcError)) throw e;
    if (e.code === grpc.status.UNIMPLEMENTED) return 'zitadel';
    if (e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED) {
      throw new MigrationError(side, e, ' (while detecting the kind of server)');
    }
    return 'idport';
  } finally {
    client.close();
  }
}
