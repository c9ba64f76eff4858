import type { DescService } from '@bufbuild/protobuf';
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import { Code, ConnectError } from '@connectrpc/connect';
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from '../../gen/grpc/health/v1/health_pb.js';

/**
 * Registers the standard gRPC health service (grpc/grpc doc/health-checking.md) so load
 * balancers, Kubernetes probes and `grpc_health_probe` can ask whether idport is up.
 *
 * `services` are the services the router serves; each one, the health service itself and the
 * empty name (the whole server) report SERVING, or NOT_SERVING once `serving()` says no (the
 * server is draining on shutdown, src/transport/drain.ts).
 */
export function registerHealth(router: ConnectRouter, services: readonly DescService[], serving: () => boolean = () => true): void {
  const known = new Set(['', Health.typeName, ...services.map((s) => s.typeName)]);
  const current = () => (serving() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  const statusOf = (service: string): ServingStatus | undefined => (known.has(service) ? current() : undefined);

  router.service(Health, {
    check(request) {
      const status = statusOf(request.service);
      if (status === undefined) {
        // The spec asks for NOT_FOUND here, not a SERVICE_UNKNOWN status (that one is for Watch).
        throw new ConnectError(`unknown service ${request.service}`, Code.NotFound);
      }
      return { status };
    },
    list() {
      return { statuses: Object.fromEntries([...known].map((name) => [name, { status: current() }])) };
    },
    async *watch(request, context) {
      // Watch never fails for an unknown name: the service may be registered later, so the
      // client gets SERVICE_UNKNOWN and keeps the stream, as the spec describes.
      yield { status: statusOf(request.service) ?? ServingStatus.SERVICE_UNKNOWN };
      // The status never changes, so there is nothing more to send; hold the stream open until
      // the client cancels or the server shuts down, which is what Watch clients expect.
      await untilAborted(context);
    },
  });
}

function untilAborted({ signal }: HandlerContext): Promise<void> {
  if (signal.aborted) {
    return Promise.resolve();
  }
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
