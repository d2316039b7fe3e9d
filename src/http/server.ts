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
/** A readiness check answers within this, whatever the dependency does (probes come every few seconds). */
const READY_CHECK_MS = 2000;
/** Probes within this of the last result share it. */
const READY_CACHE_MS = 1000;

/** opsbot's icon (a robot head in the console's blue), served as /favicon.ico and /favicon.svg. */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect x="6" y="14" width="52" height="42" rx="12" fill="#3370ff"/><rect x="29" y="4" width="6" height="12" rx="3" fill="#3370ff"/><circle cx="23" cy="34" r="6" fill="#fff"/><circle cx="41" cy="34" r="6" fill="#fff"/><rect x="22" y="45" width="20" height="4" rx="2" fill="#fff"/></svg>';

/**
 * `home`: where `GET /` sends a browser (the console, when it is served); without one, `/` answers a
 * one-line JSON status naming the endpoints, so nobody meets a bare 404.
 */
export function createHttpApp(deps: { log: Logger; metrics: Metrics; checks: ReadinessCheck[]; routers: Router[]; home?: string; stopping?: () => boolean }): Koa {
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
        } else if (status === 503) {
          // The store cannot take the work (StoreUnavailableError): nothing was done; a platform that
          // retries on an error status delivers it again.
          deps.log.warn({ path: ctx.path, reason: (err as { reason?: string }).reason ?? (err as Error).message }, 'request refused: the store is unavailable');
          ctx.status = 503;
          ctx.set('Retry-After', '10');
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
  // Readiness: each check bounded (a Kubernetes API that accepts the connection and never answers
  // cannot hold a probe), and run at most once at a time — concurrent probes share the run in flight,
  // and a result is reused for a second — so probes never pile up requests or sockets.
  let inflight: Promise<{ ok: boolean; checks: Record<string, string> }> | undefined;
  let last: { at: number; r: { ok: boolean; checks: Record<string, string> } } | undefined;
  const readiness = (): Promise<{ ok: boolean; checks: Record<string, string> }> => {
    if (last && performance.now() - last.at < READY_CACHE_MS) return Promise.resolve(last.r);
    inflight ??= (async () => {
      const results = await Promise.all(
        deps.checks.map(async (c) => {
          let timer: NodeJS.Timeout | undefined;
          try {
            await Promise.race([c.check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`did not answer within ${READY_CHECK_MS / 1000} s`)), READY_CHECK_MS)))]);
            return [c.name, 'ok'] as const;
          } catch (e) {
            return [c.name, (e as { userMessage?: string }).userMessage ?? (e as Error).message ?? 'failed'] as const;
          } finally {
            clearTimeout(timer);
          }
        }),
      );
      const r = { ok: results.every(([, v]) => v === 'ok'), checks: Object.fromEntries(results) };
      last = { at: performance.now(), r };
      return r;
    })().finally(() => (inflight = undefined));
    return inflight;
  };
  const base = new Router();
  base.get('/healthz', (ctx) => {
    ctx.body = { ok: true };
  });
  base.get('/', (ctx) => {
    if (deps.home) return ctx.redirect(deps.home);
    ctx.body = { name: 'opsbot', ok: true, endpoints: ['/healthz', '/readyz', '/metrics', '/webhooks/<platform>', '/webhooks/alertmanager'], console: 'off (set CONSOLE_TOKEN to serve it beyond loopback)' };
  });
  const icon = (ctx: Koa.Context) => {
    ctx.type = 'image/svg+xml';
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = FAVICON_SVG;
  };
  base.get('/favicon.ico', icon);
  base.get('/favicon.svg', icon);
  base.get('/readyz', async (ctx) => {
    // A replica that is stopping takes no new traffic (the Service drops it while it finishes).
    const r = deps.stopping?.() ? { ok: false, checks: { shutdown: 'shutting down' } } : await readiness();
    ctx.status = r.ok ? 200 : 503;
    ctx.body = r;
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
