import type { Context } from 'koa';

export class BodyError extends Error {
  constructor(readonly status: 400 | 413 | 415, message: string) {
    super(message);
  }
}

/**
 * Reads the request body as bytes, refusing more than `limit` (413) without buffering past it. Webhook
 * routes verify these bytes before anything parses them (design.md §1.3), so there is no body parser
 * in front of any route.
 */
export async function readRawBody(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) throw new BodyError(413, `body larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      ctx.req.destroy();
      throw new BodyError(413, `body larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A small JSON body (console API), as an object. */
export async function readJson(ctx: Context, limit: number): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/i.test(ctx.get('content-type'))) throw new BodyError(415, 'send Content-Type: application/json');
  const raw = await readRawBody(ctx, limit);
  try {
    const v = JSON.parse(raw.toString('utf8')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new BodyError(400, 'body is not a JSON object');
  }
}
