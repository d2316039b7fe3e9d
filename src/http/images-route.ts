import Router from '@koa/router';
import type { Images } from '../core/images.js';

/**
 * GET /images/<ref>.png?p=<signed>: a card's image for a platform that fetches images itself (DingTalk),
 * only with the link's signature (the button key; valid while the image is kept). Anything else is a
 * 404 that says nothing about which part was wrong.
 */
export function imageRoutes(images: Images): Router {
  const r = new Router();
  r.get('/images/:file', async (ctx) => {
    // The reference itself is checked by Images.fromLink (one pattern, beside the references it makes).
    const m = /^(.+)\.png$/.exec(ctx.params['file'] ?? '');
    const p = typeof ctx.query['p'] === 'string' ? ctx.query['p'] : '';
    const png = m && p.length <= 2048 ? await images.fromLink(m[1] as string, p) : undefined;
    if (!png) {
      ctx.status = 404;
      ctx.body = { error: 'no such image' };
      return;
    }
    ctx.set('Cache-Control', 'public, max-age=604800, immutable');
    ctx.type = 'image/png';
    ctx.body = png;
  });
  return r;
}
