import type { DescService } from '@bufbuild/protobuf';
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import { Code, ConnectError } from '@connectrpc/connect';
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from '../../gen/grpc/health/v1/health_pb.js';

/** Whether the server may take traffic now (application/readiness.ts); absent = always. */
export type ReadyProbe = () => Promise<boolean>;

/** How often a Watch re-checks readiness to report a change. */
const WATCH_INTERVAL_MS = 5000;

/**
 * Registers the standard gRPC health service (grpc/grpc doc/health-checking.md) so load
 * balancers, Kubernetes probes and `grpc_health_probe` can ask whether idport may take
 * traffic. It reports readiness: NOT_SERVING while a readiness check fails (the database
 * unreachable, issue 9), SERVING otherwise.
 *
 * `services` are the services the router serves; each one, the health service itself and the
 * empty name (the whole server) share the one status.
 */
export function registerHealth(router: ConnectRouter, services: readonly DescService[], ready: ReadyProbe = async () => true): void {
  const known = new Set(['', Health.typeName, ...services.map((s) => s.typeName)]);
  const current = async () => ((await ready()) ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);

  router.service(Health, {
    async check(request) {
      if (!known.has(request.service)) {
        // The spec asks for NOT_FOUND here, not a SERVICE_UNKNOWN status (that one is for Watch).
        throw new ConnectError(`unknown service ${request.service}`, Code.NotFound);
      }
      return { status: await current() };
    },
    async list() {
      const status = await current();
      return { statuses: Object.fromEntries([...known].map((name) => [name, { status }])) };
    },
    async *watch(request, context) {
      // Watch never fails for an unknown name: the service may be registered later, so the
      // client gets SERVICE_UNKNOWN and keeps the stream, as the spec describes.
      if (!known.has(request.service)) {
        yield { status: ServingStatus.SERVICE_UNKNOWN };
        await untilAborted(context, Number.POSITIVE_INFINITY);
        return;
      }
      // The current status, then each change, until the client cancels or the server stops.
      let last = await current();
      yield { status: last };
      while (!(await untilAborted(context, WATCH_INTERVAL_MS))) {
        const now = await current();
        if (now !== last) yield { status: now };
        last = now;
      }
    },
  });
}

/** Resolves true once the call is aborted, or false after `ms`. */
function untilAborted({ signal }: HandlerContext, ms: number): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = Number.isFinite(ms) ? setTimeout(() => resolve(false), ms) : undefined;
    timer?.unref();
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      { once: true },
    );
  });
}
