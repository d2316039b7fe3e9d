import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { FEISHU } from '../helpers/sign-feishu.js';

/**
 * A local Feishu Open API: tenant_access_token, bot info, message create / reply / patch. It checks
 * the Authorization header against the token it issued and validates the card JSON 2.0 we send against
 * the shape Feishu documents (unknown properties refused, as Feishu's 2.0 parser does).
 */
const text = z.strictObject({ tag: z.literal('plain_text'), content: z.string().min(1) });
const element: z.ZodType = z.lazy(() =>
  z.union([
    z.strictObject({ tag: z.literal('markdown'), content: z.string(), text_size: z.string().optional() }),
    z.strictObject({ tag: z.literal('hr') }),
    z.strictObject({ tag: z.literal('img'), img_key: z.string().regex(/^img_v[23]_/), alt: text.or(z.strictObject({ tag: z.literal('plain_text'), content: z.string() })), scale_type: z.enum(['crop_center', 'crop_top', 'fit_horizontal']).optional(), preview: z.boolean().optional() }),
    z.strictObject({
      tag: z.literal('table'),
      page_size: z.number().int().min(1).max(10),
      row_height: z.string(),
      header_style: z.strictObject({ bold: z.boolean(), background_style: z.string() }),
      columns: z.array(z.strictObject({ name: z.string(), display_name: z.string().min(1), data_type: z.literal('text'), width: z.string() })).min(1),
      rows: z.array(z.record(z.string(), z.string())),
    }),
    z.strictObject({
      tag: z.literal('column_set'),
      flex_mode: z.enum(['none', 'stretch', 'flow', 'bisect', 'trisect']),
      horizontal_spacing: z.string().optional(),
      columns: z.array(z.strictObject({ tag: z.literal('column'), width: z.string(), weight: z.number().optional(), elements: z.array(element) })),
    }),
    z.strictObject({
      tag: z.literal('button'),
      text,
      type: z.enum(['default', 'primary', 'danger', 'primary_filled', 'danger_filled']),
      behaviors: z.array(z.strictObject({ type: z.literal('callback'), value: z.record(z.string(), z.unknown()) })).min(1),
    }),
  ]),
);
export const cardSchema = z.strictObject({
  schema: z.literal('2.0'),
  config: z.strictObject({ update_multi: z.literal(true), width_mode: z.string().optional() }),
  header: z.strictObject({ template: z.enum(['blue', 'green', 'orange', 'red', 'grey']), title: text }),
  body: z.strictObject({ elements: z.array(element).min(1) }),
});

export interface SentMessage {
  id: string;
  chatId: string;
  replyTo?: string;
  uuid?: string;
  card: z.infer<typeof cardSchema>;
  patches: z.infer<typeof cardSchema>[];
}

export class FakeFeishuApi {
  readonly urgent: { messageId: string; level: string; ids: string[] }[] = [];
  readonly messages: SentMessage[] = [];
  /** Images uploaded (im/v1/images), by image_key. */
  readonly images = new Map<string, Buffer>();
  readonly requests: { method: string; path: string; status: number }[] = [];
  /** A slow send API: each message send (create or reply) is answered after this long. */
  sendDelayMs = 0;
  /** When each message send arrived (create or reply). */
  readonly sendTimes: { at: number; path: string }[] = [];
  /** Most message sends the fake was answering at once. */
  maxConcurrentSends = 0;
  #sends = 0;
  /** Queued failures for the next calls to a path prefix: an HTTP status, or a Feishu error code. */
  readonly failures: { path: string; status?: number; code?: number; reset?: number }[] = [];
  token = `t-${randomUUID()}`;
  tokensIssued = 0;
  /** Long-connection endpoint answer (a test sets the ws URL). */
  wsUrl?: string;
  url = '';
  #server: Server;
  #waiters: (() => void)[] = [];

  constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  /** Waits until `pred` holds over the recorded messages. */
  async until<T>(pred: () => T | undefined | false, ms = 10_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = pred();
      if (v) return v;
      if (Date.now() > end) throw new Error('fake Feishu API: timed out waiting');
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  /** The plain value of a button in a card (`{p: <signed payload>}`). */
  static buttonValue(card: SentMessage['card'], label: string): Record<string, unknown> {
    const find = (els: unknown[]): Record<string, unknown> | undefined => {
      for (const e of els as Record<string, unknown>[]) {
        if (e['tag'] === 'button' && (e['text'] as { content: string }).content === label) return (e['behaviors'] as { value: Record<string, unknown> }[])[0]!.value;
        if (e['tag'] === 'column_set') for (const c of e['columns'] as { elements: unknown[] }[]) {
          const v = find(c.elements);
          if (v) return v;
        }
      }
      return undefined;
    };
    const v = find(card.body.elements);
    if (!v) throw new Error(`no button "${label}" on the card`);
    return v;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    const raw = url.pathname === '/open-apis/im/v1/images' ? '' : bytes.toString('utf8');
    const sending = req.method === 'POST' && /^\/open-apis\/im\/v1\/messages(\/[^/]+\/reply)?$/.test(url.pathname);
    if (sending) {
      this.maxConcurrentSends = Math.max(this.maxConcurrentSends, ++this.#sends);
      this.sendTimes.push({ at: Date.now(), path: url.pathname });
      res.once('finish', () => this.#sends--);
      if (this.sendDelayMs) await new Promise((r) => setTimeout(r, this.sendDelayMs));
    }
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ method: req.method ?? '', path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
      for (const w of this.#waiters.splice(0)) w();
    };
    const fail = this.failures.findIndex((f) => url.pathname.startsWith(f.path));
    if (fail >= 0) {
      const f = this.failures.splice(fail, 1)[0]!;
      if (f.code) return reply(f.status ?? 200, { code: f.code, msg: 'injected failure' }, f.reset ? { 'x-ogw-ratelimit-reset': String(f.reset) } : {});
      return reply(f.status ?? 500, { code: -1, msg: 'injected' }, f.reset ? { 'x-ogw-ratelimit-reset': String(f.reset) } : {});
    }
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      return reply(400, { code: 9499, msg: 'bad json' });
    }
    if (url.pathname === '/open-apis/auth/v3/tenant_access_token/internal') {
      if (body['app_id'] !== FEISHU.appId || body['app_secret'] !== FEISHU.appSecret) return reply(200, { code: 10014, msg: 'app secret invalid' });
      this.tokensIssued++;
      return reply(200, { code: 0, msg: 'ok', tenant_access_token: this.token, expire: 7200 });
    }
    if (url.pathname === '/callback/ws/endpoint') {
      if (body['AppID'] !== FEISHU.appId || body['AppSecret'] !== FEISHU.appSecret) return reply(200, { code: 403, msg: 'forbidden' });
      return reply(200, { code: 0, msg: 'ok', data: { URL: this.wsUrl, ClientConfig: { ReconnectCount: -1, ReconnectInterval: 1, ReconnectNonce: 0, PingInterval: 120 } } });
    }
    if (req.headers.authorization !== `Bearer ${this.token}`) return reply(200, { code: 99991663, msg: 'tenant access token invalid' });
    if (url.pathname === '/open-apis/im/v1/images' && req.method === 'POST') {
      // multipart/form-data: image_type=message and the image file (≤ 10 MB), as the upload API takes them.
      const type = req.headers['content-type'] ?? '';
      if (!/^multipart\/form-data; ?boundary=/.test(type)) return reply(400, { code: 234001, msg: 'content-type must be multipart/form-data' });
      const form = await new Response(bytes, { headers: { 'content-type': type } }).formData().catch(() => undefined);
      const file = form?.get('image');
      if (form?.get('image_type') !== 'message' || !file || typeof file === 'string') return reply(400, { code: 234001, msg: 'image_type and image required' });
      const png = Buffer.from(await file.arrayBuffer());
      if (png.length > 10 * 1024 * 1024) return reply(400, { code: 234006, msg: 'image too large' });
      if (!png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return reply(400, { code: 234011, msg: 'not an image' });
      const key = `img_v3_${randomUUID()}`;
      this.images.set(key, png);
      return reply(200, { code: 0, msg: 'success', data: { image_key: key } });
    }
    if (url.pathname === '/open-apis/bot/v3/info') return reply(200, { code: 0, msg: 'ok', bot: { open_id: FEISHU.botOpenId, app_name: 'opsbot' } });
    const card = () => {
      if (typeof body['content'] !== 'string') return undefined;
      const parsed = cardSchema.safeParse(JSON.parse(body['content'] as string));
      if (!parsed.success) {
        reply(400, { code: 230099, msg: `invalid card: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` });
        return null;
      }
      const keys = [...(body['content'] as string).matchAll(/"img_key":"([^"]+)"/g)].map((x) => x[1] as string);
      const unknown = keys.find((k) => !this.images.has(k));
      if (unknown) {
        reply(400, { code: 230099, msg: `invalid card: img_key ${unknown} was not uploaded` });
        return null;
      }
      if (Buffer.byteLength(body['content'] as string) > 30 * 1024) {
        reply(400, { code: 230025, msg: 'card too large' });
        return null;
      }
      return parsed.data;
    };
    const m = url.pathname.match(/^\/open-apis\/im\/v1\/messages(?:\/([^/]+))?(\/reply)?$/);
    if (m && req.method === 'POST') {
      if (body['msg_type'] !== 'interactive') return reply(400, { code: 230001, msg: 'msg_type' });
      const c = card();
      if (c === null) return;
      if (!c) return reply(400, { code: 230001, msg: 'content missing' });
      const uuid = typeof body['uuid'] === 'string' ? body['uuid'] : undefined;
      const dup = uuid ? this.messages.find((x) => x.uuid === uuid) : undefined;
      if (dup) return reply(200, { code: 0, msg: 'ok', data: { message_id: dup.id } });
      let chatId: string;
      let replyTo: string | undefined;
      if (m[2]) {
        replyTo = decodeURIComponent(m[1] ?? '');
        chatId = FEISHU.chat;
      } else {
        if (url.searchParams.get('receive_id_type') !== 'chat_id' || typeof body['receive_id'] !== 'string') return reply(400, { code: 230001, msg: 'receive_id' });
        chatId = body['receive_id'] as string;
      }
      const msg: SentMessage = { id: `om_${randomUUID().replace(/-/g, '')}`, chatId, ...(replyTo ? { replyTo } : {}), ...(uuid ? { uuid } : {}), card: c, patches: [] };
      this.messages.push(msg);
      return reply(200, { code: 0, msg: 'ok', data: { message_id: msg.id, chat_id: chatId, msg_type: 'interactive' } });
    }
    if (m && m[1] && !m[2] && req.method === 'PATCH') {
      const target = this.messages.find((x) => x.id === decodeURIComponent(m[1] ?? ''));
      if (!target) return reply(400, { code: 230011, msg: 'message not found' });
      const c = card();
      if (c === null) return;
      if (!c) return reply(400, { code: 230001, msg: 'content missing' });
      target.patches.push(c);
      return reply(200, { code: 0, msg: 'ok', data: {} });
    }
    const u = url.pathname.match(/^\/open-apis\/im\/v1\/messages\/([^/]+)\/urgent_(app|sms|phone)$/);
    if (u && req.method === 'PATCH') {
      // 加急 only a message the bot itself sent, to open_ids (platforms.md §4.1).
      const target = this.messages.find((x) => x.id === decodeURIComponent(u[1] ?? ''));
      if (!target) return reply(400, { code: 230011, msg: 'message not found' });
      const ids = body['user_id_list'];
      if (url.searchParams.get('user_id_type') !== 'open_id' || !Array.isArray(ids) || !ids.length) return reply(400, { code: 230001, msg: 'user_id_list / user_id_type' });
      this.urgent.push({ messageId: target.id, level: u[2] as string, ids: ids as string[] });
      return reply(200, { code: 0, msg: 'ok', data: { invalid_user_id_list: (ids as string[]).filter((i) => !i.startsWith('ou_')) } });
    }
    return reply(404, { code: 404, msg: 'not found' });
  }
}

/** All the text on a card, for assertions. */
export function cardText(card: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (k !== 'behaviors') walk(x);
  };
  walk(card);
  return out.join('\n');
}
