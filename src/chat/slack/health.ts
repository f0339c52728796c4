import type { CustomRoute } from '@slack/bolt';
import type { Runtime } from '../../runtime.js';

/**
 * `GET /healthz`: 200 with `{ ok: true, db: 'ok', replica, … }` while the database answers, 503
 * otherwise (for a load balancer or the container's health check). `replica` is this process's
 * owner id, the one its tasks carry in the database. Unsigned: it says nothing secret.
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
        res.end(JSON.stringify({ ok, db, database: runtime.app.config.database.kind, mode, replica: runtime.store.owner }));
      })();
    },
  };
}

/** `GET /metrics`: Prometheus text format (prom-client). Unsigned, like /healthz: no secrets in it. */
export function metricsRoute(runtime: Runtime): CustomRoute {
  return {
    path: '/metrics',
    method: ['GET'],
    handler: (_req, res) => {
      void runtime.metrics.render().then(
        (text) => {
          res.writeHead(200, { 'content-type': runtime.metrics.registry.contentType, 'cache-control': 'no-store' });
          res.end(text);
        },
        () => {
          res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('metrics unavailable: the database did not answer\n');
        },
      );
    },
  };
}
