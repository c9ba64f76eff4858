import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import type { NodeServerRequest, NodeServerResponse } from './node-types.js';

type NodeHandler = (req: NodeServerRequest, res: NodeServerResponse) => void;

/**
 * Draining on shutdown (SIGTERM): readiness turns NOT_SERVING, new calls are refused with
 * UNAVAILABLE (a client or load balancer retries them elsewhere), and calls in flight are
 * counted so shutdown can wait for them, as Kratos does for its grace period.
 */
export interface Drain {
  readonly draining: boolean;
  /** Refuses new calls from now on. */
  start(): void;
  /** Requests whose response is not done yet (health checks aside). */
  readonly inFlight: number;
  /** RPC handlers running now (REST calls included). */
  readonly busy: number;
  /**
   * Resolves true once no request is in flight and no handler runs, false if `ms` pass first.
   * Both count: a response can still be on its way after its handler returned (the REST
   * gateway re-shapes it), and a cancelled handler can still be rolling back after its
   * connection is gone.
   */
  idle(ms: number): Promise<boolean>;
  /** Counts each request until its response is done; while draining, asks HTTP/1.1 clients to reconnect. */
  track(handler: NodeHandler): NodeHandler;
  /** Counts each RPC handler (REST included) while it runs; refuses new ones while draining. */
  readonly interceptor: Interceptor;
}

const HEALTH_PATH = `/${Health.typeName}/`;

export function createDrain(): Drain {
  let draining = false;
  let requests = 0;
  let handlers = 0;
  const waiters = new Set<() => void>();
  const wakeIfIdle = () => {
    if (requests === 0 && handlers === 0) for (const wake of waiters) wake();
  };
  const leave = () => {
    handlers -= 1;
    wakeIfIdle();
  };
  return {
    get draining() {
      return draining;
    },
    get inFlight() {
      return requests;
    },
    get busy() {
      return handlers;
    },
    start() {
      draining = true;
    },
    idle(ms) {
      if (requests === 0 && handlers === 0) return Promise.resolve(true);
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
    track: (handler) => (req, res) => {
      // A Watch stream stays open until its connection closes: not a call to wait for.
      if (req.url?.startsWith(HEALTH_PATH)) {
        handler(req, res);
        return;
      }
      if (draining && 'shouldKeepAlive' in res) res.shouldKeepAlive = false;
      requests += 1;
      res.once('close', () => {
        requests -= 1;
        wakeIfIdle();
      });
      handler(req, res);
    },
    interceptor: (next) => async (req) => {
      // Health answers while draining (that is how probes learn NOT_SERVING) and is not
      // counted: a Watch stream stays open until the connection closes.
      if (req.service.typeName === Health.typeName) return next(req);
      if (draining) {
        throw new ConnectError('server is shutting down; retry on another instance', Code.Unavailable);
      }
      handlers += 1;
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
