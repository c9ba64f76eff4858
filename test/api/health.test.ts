import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { ConnectRouter, Interceptor } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { status as GrpcStatus, Metadata } from '@grpc/grpc-js';
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from '../../gen/grpc/health/v1/health_pb.js';
import { AdminService } from '../../gen/zitadel/admin_pb.js';
import { ManagementService } from '../../gen/zitadel/management_pb.js';
import { registerHealth } from '../../src/transport/health.js';
import type { GrpcClient } from '../support/grpc-client.js';
import { createGrpcClient } from '../support/grpc-client.js';

// A real h2c server and the grpc-js client: what Kubernetes' gRPC probe and
// grpc_health_probe do on the wire.
function routes(router: ConnectRouter): void {
  router.service(AdminService, {});
  router.service(ManagementService, {});
  registerHealth(router, [AdminService, ManagementService]);
}

/**
 * Records each streaming handler that has returned. The wrapper's `finally` runs only once the
 * handler's generator is done, so a Watch that ignored the cancellation would never show up.
 */
const finishedStreams: string[] = [];
const trackFinishedStreams: Interceptor = (next) => async (req) => {
  const res = await next(req);
  if (!res.stream) {
    return res;
  }
  const messages = res.message;
  async function* tracked() {
    try {
      yield* messages;
    } finally {
      finishedStreams.push(req.method.name);
    }
  }
  return { ...res, message: tracked() };
};

const authorizations: (string | null)[] = [];
const recordAuthorization: Interceptor = (next) => (req) => {
  authorizations.push(req.header.get('authorization'));
  return next(req);
};

let server: http2.Http2Server;
let health: GrpcClient<typeof Health>;

beforeAll(async () => {
  const interceptors = [trackFinishedStreams, recordAuthorization];
  server = http2.createServer(connectNodeAdapter({ routes, interceptors }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  health = createGrpcClient(Health, `127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  health.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('grpc.health.v1.Health over grpc-js', () => {
  const served = ['', 'zitadel.admin.v1.AdminService', 'zitadel.management.v1.ManagementService', 'grpc.health.v1.Health'];
  test.each(served)('Check(%j) is SERVING', async (service) => {
    await expect(health.check({ service })).resolves.toMatchObject({ status: ServingStatus.SERVING });
  });

  test('Check of an unknown service fails with NOT_FOUND', async () => {
    await expect(health.check({ service: 'no.such.Service' })).rejects.toMatchObject({
      code: GrpcStatus.NOT_FOUND,
    });
  });

  test('call metadata reaches the server as headers', async () => {
    const metadata = new Metadata();
    metadata.set('authorization', 'Bearer health-test');
    await health.check({ service: '' }, { metadata });
    expect(authorizations.at(-1)).toBe('Bearer health-test');
  });

  test('List reports every known service', async () => {
    const { statuses } = await health.list({});
    expect(Object.keys(statuses).sort()).toEqual([
      '',
      'grpc.health.v1.Health',
      'zitadel.admin.v1.AdminService',
      'zitadel.management.v1.ManagementService',
    ]);
    expect(Object.values(statuses).every((s) => s.status === ServingStatus.SERVING)).toBe(true);
  });

  test('Watch sends the current status, then stays open until the client leaves', async () => {
    const statuses: ServingStatus[] = [];
    for await (const response of health.watch({ service: 'zitadel.admin.v1.AdminService' })) {
      statuses.push(response.status);
      break; // cancels the call
    }
    expect(statuses).toEqual([ServingStatus.SERVING]);
    // The cancellation reaches the handler through its context signal and the handler returns.
    await waitFor(() => finishedStreams.includes('Watch'));

    // Only a deadline ends an un-cancelled Watch: the server never completes it by itself.
    const seen: ServingStatus[] = [];
    const watchUntilDeadline = async () => {
      for await (const response of health.watch({ service: '' }, { deadline: Date.now() + 300 })) {
        seen.push(response.status);
      }
    };
    await expect(watchUntilDeadline()).rejects.toMatchObject({ code: GrpcStatus.DEADLINE_EXCEEDED });
    expect(seen).toEqual([ServingStatus.SERVING]);
  });

  test('Watch of an unknown service reports SERVICE_UNKNOWN instead of failing', async () => {
    for await (const response of health.watch({ service: 'no.such.Service' })) {
      expect(response.status).toBe(ServingStatus.SERVICE_UNKNOWN);
      break;
    }
  });
});

/** Lets the event loop run until `condition` holds (jest's test timeout bounds it, not a clock here). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
