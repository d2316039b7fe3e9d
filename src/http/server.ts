import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from '../log.js';
import { BodyError } from './raw-body.js';
import type { Metrics } from './metrics.js';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/**
 * The one Koa app: health, readiness, metrics, plus the routers the composition root mounts (console,
 * webhooks). Errors become short JSON answers; bodies are never logged.
 */
export function createHttpApp(deps: { log: Logger; metrics: Metrics; checks: ReadinessCheck[]; routers: Router[] }): Koa {
  const app = new Koa({ proxy: false });
  app.silent = true;
  app.use(async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } catch (err) {
      if (err instanceof BodyError) {
        ctx.status = err.status;
        ctx.body = { error: err.message };
      } else {
        const status = (err as { status?: number }).status;
        if (status && status < 500) {
          ctx.status = status;
          ctx.body = { error: (err as Error).message };
        } else {
          deps.log.error({ err, path: ctx.path }, 'http handler failed');
          ctx.status = 500;
          ctx.body = { error: 'internal error' };
        }
      }
    } finally {
      // Guarded: building this line (ctx.href, the headers) on every request costs even when debug is off.
      if (deps.log.isLevelEnabled('debug')) deps.log.debug({ method: ctx.method, url: ctx.href, status: ctx.status, headers: ctx.headers }, 'http');
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      deps.metrics.http.observe({ route: String(route), status: String(ctx.status) }, (performance.now() - started) / 1000);
    }
  });
  const base = new Router();
  base.get('/healthz', (ctx) => {
    ctx.body = { ok: true };
  });
  base.get('/readyz', async (ctx) => {
    const results = await Promise.all(
      deps.checks.map(async (c) => {
        try {
          await c.check();
          return [c.name, 'ok'] as const;
        } catch (e) {
          return [c.name, (e as { userMessage?: string }).userMessage ?? 'failed'] as const;
        }
      }),
    );
    const ok = results.every(([, r]) => r === 'ok');
    ctx.status = ok ? 200 : 503;
    ctx.body = { ok, checks: Object.fromEntries(results) };
  });
  base.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
  // Platform and console routes first: webhooks are the hot path, health checks are rare.
  for (const r of deps.routers) app.use(r.routes()).use(r.allowedMethods());
  app.use(base.routes()).use(base.allowedMethods());
  return app;
}
