import Router from '@koa/router';
import type { AlertService } from '../core/alerts/service.js';
import { webhookSchema } from '../core/alerts/payload.js';
import { t } from '../core/i18n.js';
import { secretsEqual } from '../core/secure-compare.js';
import type { Secret } from '../config/secret.js';
import type { Logger } from '../log.js';
import { readRawBody } from './raw-body.js';

/**
 * POST /webhooks/alertmanager: Alertmanager's webhook (payload v4). The bearer token, when configured,
 * is compared in constant time before the body is read; the body is size-limited, parsed and
 * validated, and each problem is a clear 400 with nothing recorded. Answered once the group is
 * recorded and its cards posted or updated; a retry by Alertmanager is deduplicated by group.
 */
export function alertmanagerRoutes(o: { alerts: AlertService; log: Logger; token?: Secret; bodyLimit?: number }): Router {
  const r = new Router();
  r.post('/webhooks/alertmanager', async (ctx) => {
    if (o.token) {
      const h = ctx.get('authorization');
      const given = /^Bearer\s+(.+)$/i.exec(h)?.[1] ?? '';
      if (!given || !secretsEqual(given, o.token.reveal())) {
        ctx.status = 401;
        ctx.body = { error: t('en', 'alert.err.token') };
        return;
      }
    }
    const raw = await readRawBody(ctx, o.bodyLimit ?? 10 * 1024 * 1024);
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      ctx.status = 400;
      ctx.body = { error: 'body is not JSON' };
      return;
    }
    const p = webhookSchema.safeParse(json);
    if (!p.success) {
      ctx.status = 400;
      ctx.body = { error: 'not an Alertmanager webhook payload (version 4)', problems: p.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) };
      return;
    }
    const res = await o.alerts.ingest(p.data);
    o.log.info({ alert: res.id, status: res.status, level: res.level, targets: res.targets, posted: res.posted }, 'alert group received');
    ctx.body = { ok: true, group: res.id, level: res.level, targets: res.targets, posted: res.posted, updated: res.updated };
  });
  return r;
}
