import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';

/**
 * Draining on shutdown (SIGTERM): readiness turns NOT_SERVING, new calls are refused with
 * UNAVAILABLE (a client or load balancer retries them elsewhere), and calls in flight are
 * counted so shutdown can wait for them, as Kratos does for its grace period.
 */
export interface Drain {
  readonly draining: boolean;
  /** Refuses new calls from now on. */
  start(): void;
  /** Calls in flight. */
  readonly inFlight: number;
  /** Resolves true once no call is in flight, false if `ms` pass first. */
  idle(ms: number): Promise<boolean>;
  /** Counts each RPC (REST included) while it runs; refuses new ones while draining. */
  readonly interceptor: Interceptor;
}

export function createDrain(): Drain {
  let draining = false;
  let inFlight = 0;
  const waiters = new Set<() => void>();
  const leave = () => {
    inFlight -= 1;
    if (inFlight === 0) for (const wake of waiters) wake();
  };
  return {
    get draining() {
      return draining;
    },
    get inFlight() {
      return inFlight;
    },
    start() {
      draining = true;
    },
    idle(ms) {
      if (inFlight === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(true);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          resolve(false);
        }, ms);
        waiters.add(wake);
      });
    },
    interceptor: (next) => async (req) => {
      // Health answers while draining (that is how probes learn NOT_SERVING) and is not
      // counted: a Watch stream stays open until the connection closes.
      if (req.service.typeName === Health.typeName) return next(req);
      if (draining) {
        throw new ConnectError('server is shutting down; retry on another instance', Code.Unavailable);
      }
      inFlight += 1;
      let res: Awaited<ReturnType<typeof next>>;
      try {
        res = await next(req);
      } catch (e) {
        leave();
        throw e;
      }
      if (!res.stream) {
        leave();
        return res;
      }
      const messages = res.message;
      return {
        ...res,
        message: (async function* () {
          try {
            yield* messages;
          } finally {
            leave();
          }
        })(),
      };
    },
  };
}
