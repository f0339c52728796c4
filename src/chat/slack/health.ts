import type { CustomRoute } from '@slack/bolt';
import type { Runtime } from '../../runtime.js';

/**
 * `GET /healthz`: 200 with `{ ok: true, db: 'ok', … }` while the database answers, 503 otherwise
 * (for a load balancer or the container's health check). Unsigned: it says nothing secret.
 */
export function healthRoute(runtime: Runtime, mode: 'http' | 'socket'): CustomRoute {
  return {
    path: '/healthz',
    method: ['GET'],
    handler: (_req, res) => {
      void (async () => {
        let db: 'ok' | 'error' = 'error';
        try {
          const check = await runtime.app.orm.checkConnection();
          db = check.ok ? 'ok' : 'error';
        } catch {
          db = 'error';
        }
        const ok = db === 'ok';
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ ok, db, database: runtime.app.config.database.kind, mode }));
      })();
    },
  };
}
