import type { NodeServerRequest, NodeServerResponse } from './node-types.js';

type NodeHandler = (req: NodeServerRequest, res: NodeServerResponse) => void;

export interface OperatorEndpoints {
  /** Prometheus text exposition (prom-client). */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** The generated OpenAPI document (openapi/idport.openapi.json). */
  openapi(): Promise<string>;
  /** false while draining or while the database is unreachable: /readyz answers 503. */
  ready(): Promise<boolean>;
}

/**
 * The plain-HTTP operator surface beside the API: `/metrics`, `/openapi.json`, `/healthz`
 * (liveness: the process answers) and `/readyz` (readiness). GET and HEAD only; everything
 * else goes on to the API handler.
 */
export function withOperatorRoutes(handler: NodeHandler, endpoints: OperatorEndpoints): NodeHandler {
  const routes: Record<string, () => Promise<{ status: number; type: string; body: string }>> = {
    '/metrics': async () => {
      const m = await endpoints.metrics();
      return { status: 200, type: m.contentType, body: m.body };
    },
    '/openapi.json': async () => ({ status: 200, type: 'application/json', body: await endpoints.openapi() }),
    '/healthz': async () => ({ status: 200, type: 'application/json', body: '{"status":"SERVING"}' }),
    '/readyz': async () =>
      (await endpoints.ready())
        ? { status: 200, type: 'application/json', body: '{"status":"SERVING"}' }
        : { status: 503, type: 'application/json', body: '{"status":"NOT_SERVING"}' },
  };
  return (req, res) => {
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    const route = routes[path];
    if (!route || (req.method !== 'GET' && req.method !== 'HEAD')) {
      handler(req, res);
      return;
    }
    route().then(
      ({ status, type, body }) => {
        res.writeHead(status, { 'content-type': type });
        if (req.method === 'HEAD') res.end();
        else res.end(body);
      },
      () => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"code":13,"message":"internal error","details":[]}');
      },
    );
  };
}
