import type { Secret } from '../../config/secret.js';
import { UpstreamError } from '../../core/errors.js';
import type { Logger } from '../../log.js';
import { type Outbound, RetryableError } from '../../core/outbound.js';
import { CachedToken } from '../../core/token-cache.js';

/** Codes meaning "the tenant_access_token is invalid or expired" (open.feishu.cn server error codes). */
const TOKEN_INVALID = new Set([99991661, 99991663, 99991664, 99991665, 99991668]);
/** Gateway rate limit (with x-ogw-ratelimit-reset) and the per-chat message limit. */
const RATE_LIMITED = new Set([99991400, 230020]);
/** Refresh this long before the token expires (Feishu hands out a new one in its last 30 minutes). */
const REFRESH_MARGIN_MS = 10 * 60_000;

export interface FeishuClientOptions {
  apiBase: string;
  appId: string;
  appSecret: Secret;
  log: Logger;
  outbound: Outbound;
  now?: () => number;
}

interface ApiReply {
  code?: number;
  msg?: string;
  data?: Record<string, unknown>;
  [k: string]: unknown;
}

/**
 * Feishu Open API (platforms.md §1.5): tenant_access_token cached and refreshed before expiry with a
 * single in-flight refresh; sends, replies and in-place updates of interactive cards. Every call goes
 * through the shared outbound path (per-chat rate limit, retries, timeouts).
 */
export class FeishuClient {
  readonly #o: Required<FeishuClientOptions>;
  readonly #token: CachedToken;

  constructor(o: FeishuClientOptions) {
    this.#o = { now: Date.now, ...o, apiBase: o.apiBase.replace(/\/+$/, '') };
    this.#token = new CachedToken(() => this.#fetchToken(), { marginMs: REFRESH_MARGIN_MS, now: this.#o.now });
  }

  /** The tenant_access_token; concurrent callers share one refresh. */
  token(): Promise<string> {
    return this.#token.get();
  }

  async #fetchToken(): Promise<{ value: string; expiresInMs: number }> {
    const res = await this.#o.outbound.run('feishu:token', 'feishu token', async (signal) => {
      const r = await fetch(`${this.#o.apiBase}/open-apis/auth/v3/tenant_access_token/internal`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ app_id: this.#o.appId, app_secret: this.#o.appSecret.reveal() }),
        signal,
      });
      return this.#check(r, 'token');
    });
    const value = res['tenant_access_token'];
    const expire = Number(res['expire'] ?? 7200);
    if (typeof value !== 'string' || !value) throw new UpstreamError('Feishu returned no tenant_access_token (check FEISHU_APP_ID / FEISHU_APP_SECRET)');
    return { value, expiresInMs: expire * 1000 };
  }

  /** The bot's own identity, to recognise @bot in groups. */
  async botInfo(): Promise<{ openId: string; name: string }> {
    const r = await this.#api('GET', '/open-apis/bot/v3/info', undefined, 'feishu:bot', 'bot info');
    const bot = (r['bot'] ?? {}) as { open_id?: string; app_name?: string };
    if (!bot.open_id) throw new UpstreamError('Feishu bot info has no open_id (is the bot capability enabled?)');
    return { openId: bot.open_id, name: bot.app_name ?? '' };
  }

  /** Replies to a message, or posts to a chat; `uuid` makes a retried send idempotent for an hour. */
  async sendCard(chatId: string, card: unknown, o: { replyTo?: string; uuid?: string } = {}): Promise<string> {
    const body = { msg_type: 'interactive', content: JSON.stringify(card), ...(o.uuid ? { uuid: o.uuid } : {}) };
    const data = o.replyTo
      ? await this.#api('POST', `/open-apis/im/v1/messages/${encodeURIComponent(o.replyTo)}/reply`, body, `feishu:chat:${chatId}`, 'reply')
      : await this.#api('POST', '/open-apis/im/v1/messages?receive_id_type=chat_id', { receive_id: chatId, ...body }, `feishu:chat:${chatId}`, 'send');
    const id = (data['data'] as { message_id?: string } | undefined)?.message_id;
    if (!id) throw new UpstreamError('Feishu accepted the message but returned no message_id');
    return id;
  }

  /** Uploads a PNG for cards (POST /open-apis/im/v1/images, image_type=message, multipart); returns its image_key. */
  async uploadImage(png: Buffer): Promise<string> {
    const r = await this.#o.outbound.run('feishu:images', 'feishu image upload', async (signal) => {
      const token = await this.token();
      const form = new FormData();
      form.append('image_type', 'message');
      form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'chart.png');
      const res = await fetch(`${this.#o.apiBase}/open-apis/im/v1/images`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form, signal });
      return this.#check(res, 'image upload');
    });
    const key = (r['data'] as { image_key?: string } | undefined)?.image_key;
    if (!key) throw new UpstreamError('Feishu accepted the image but returned no image_key');
    return key;
  }

  /** Updates a shared card in place (PATCH /open-apis/im/v1/messages/:message_id, 5 QPS per message). */
  async patchCard(messageId: string, card: unknown): Promise<void> {
    await this.#api('PATCH', `/open-apis/im/v1/messages/${encodeURIComponent(messageId)}`, { content: JSON.stringify(card) }, `feishu:message:${messageId}`, 'update');
  }

  /** 加急 a message the bot sent: urgent_app / urgent_sms / urgent_phone to open_ids; returns the invalid ids. */
  async urgent(messageId: string, level: 'app' | 'sms' | 'phone', openIds: string[]): Promise<string[]> {
    const r = await this.#api('PATCH', `/open-apis/im/v1/messages/${encodeURIComponent(messageId)}/urgent_${level}?user_id_type=open_id`, { user_id_list: openIds }, `feishu:message:${messageId}`, `urgent_${level}`);
    const bad = (r['data'] as { invalid_user_id_list?: unknown } | undefined)?.invalid_user_id_list;
    return Array.isArray(bad) ? bad.map(String) : [];
  }

  async #api(method: string, path: string, body: unknown, key: string, what: string): Promise<ApiReply> {
    return this.#o.outbound.run(key, `feishu ${what}`, async (signal) => {
      const token = await this.token();
      const r = await fetch(`${this.#o.apiBase}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
      });
      return this.#check(r, what);
    });
  }

  async #check(r: Response, what: string): Promise<ApiReply> {
    const reset = Number(r.headers.get('x-ogw-ratelimit-reset'));
    const retryAfter = Number.isFinite(reset) && reset > 0 ? reset * 1000 : undefined;
    if (r.status === 429) throw new RetryableError(`Feishu ${what}: rate limited (429)`, retryAfter ?? 1000);
    if (r.status >= 500) throw new RetryableError(`Feishu ${what}: HTTP ${r.status}`);
    let json: ApiReply;
    try {
      json = (await r.json()) as ApiReply;
    } catch {
      throw new UpstreamError(`Feishu ${what}: HTTP ${r.status} with a non-JSON body`);
    }
    const code = Number(json.code ?? (r.ok ? 0 : -1));
    if (code === 0) return { ...json, data: json.data ?? {} } as ApiReply & { data: Record<string, unknown> };
    if (TOKEN_INVALID.has(code)) {
      this.#token.invalidate();
      throw new RetryableError(`Feishu ${what}: token expired (${code})`);
    }
    if (RATE_LIMITED.has(code)) throw new RetryableError(`Feishu ${what}: rate limited (${code})`, retryAfter ?? 1000);
    this.#o.log.warn({ what, code, msg: json.msg, status: r.status }, 'feishu api refused');
    throw new UpstreamError(`Feishu ${what} failed: code ${code}${json.msg ? ` (${String(json.msg).slice(0, 120)})` : ''}`);
  }
}
