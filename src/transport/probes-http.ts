import type { ReadinessStatus } from '../application/readiness.js';
import type { NodeServerRequest, NodeServerResponse } from './node-types.js';

/**
 * ZITADEL's HTTP probe paths: `/debug/healthz` is liveness (the process answers; nothing
 * else is checked, so a slow database never gets a live process restarted) and
 * `/debug/ready` is readiness (503 with the failing checks while, e.g., the database is
 * unreachable). `/admin/v1/healthz` and `/management/v1/healthz` stay liveness, as in ZITADEL.
 * Returns false for any other path.
 */
export function createProbeRoutes(readiness: { status(): Promise<ReadinessStatus> }) {
  return async function serveProbe(req: NodeServerRequest, res: NodeServerResponse, path: string): Promise<boolean> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (path === '/debug/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'SERVING' }));
      return true;
    }
    if (path === '/debug/ready') {
      const { ready, failing } = await readiness.status();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ready ? { status: 'SERVING' } : { status: 'NOT_SERVING', failing }));
      return true;
    }
    return false;
  };
}
