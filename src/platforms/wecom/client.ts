import type { Secret } from '../../config/secret.js';
import { UpstreamError } from '../../core/errors.js';
import { type Outbound, RetryableError } from '../../core/outbound.js';
import { CachedToken } from '../../core/token-cache.js';
import type { Logger } from '../../log.js';

/** 40014 invalid / 42001 expired access_token: refresh and retry. */
const TOKEN_BAD = new Set([40014, 42001, 40001]);
/** -1 system busy, 45009 frequency limit, 45033 concurrency: worth another try. Never 40058 (too long) or 93000 (bad key). */
const RETRYABLE = new Set([-1, 45009, 45033]);
const REFRESH_MARGIN_MS = 5 * 60_000;

export interface WecomClientOptions {
  apiBase: string;
  corpId: string;
  secret: Secret;
  agentId?: number;
  log: Logger;
  outbound: Outbound;
  now?: () => number;
}

/** The answer check every WeCom server API shares: errcode 0, or a retryable / final error with a hint. */
export async function checkWecom(r: Response, what: string): Promise<Record<string, unknown>> {
  if (r.status === 429 || r.status >= 500) throw new RetryableError(`WeCom ${what}: HTTP ${r.status}`, 1000);
  let j: Record<string, unknown>;
  try {
    j = (await r.json()) as Record<string, unknown>;
  } catch {
    throw new UpstreamError(`WeCom ${what}: HTTP ${r.status} with a non-JSON body`);
  }
  const code = Number(j['errcode'] ?? 0);
  if (code === 0) return j;
  const msg = String(j['errmsg'] ?? '').slice(0, 160);
  if (RETRYABLE.has(code)) throw new RetryableError(`WeCom ${what}: ${code} ${msg}`, code === 45009 ? 3000 : 1000);
  const hint = code === 40058 ? ' — the message is too long' : code === 93000 ? ' — the robot key is invalid (was the robot removed?)' : code === 60020 ? ' — this server\'s IP is not in the app\'s 企业可信IP' : code === 81013 ? ' — the user is not in the app\'s visible range (可见范围)' : '';
  const e = new UpstreamError(`WeCom ${what} failed: ${code} ${msg}${hint}`);
  (e as { wecomCode?: number }).wecomCode = code;
  throw e;
}

/**
 * The self-built app's server API (platforms.md §3.6): access_token cached and refreshed early with one
 * refresh in flight; message/send, update_template_card, and 紧急通知 calls.
 */
export class WecomClient {
  readonly #o: Required<Omit<WecomClientOptions, 'agentId'>> & { agentId?: number };
  readonly #token: CachedToken;

  constructor(o: WecomClientOptions) {
    this.#o = { now: Date.now, ...o, apiBase: o.apiBase.replace(/\/+$/, '') };
    this.#token = new CachedToken(() => this.#fetchToken(), { marginMs: REFRESH_MARGIN_MS, now: this.#o.now });
  }

  token(): Promise<string> {
    return this.#token.get();
  }

  async #fetchToken(): Promise<{ value: string; expiresInMs: number }> {
    const j = await this.#o.outbound.run('wecom:token', 'wecom token', async (signal) => {
      const u = `${this.#o.apiBase}/cgi-bin/gettoken?corpid=${encodeURIComponent(this.#o.corpId)}&corpsecret=${encodeURIComponent(this.#o.secret.reveal())}`;
      return checkWecom(await fetch(u, { signal }), 'gettoken');
    });
    const value = j['access_token'];
    if (typeof value !== 'string' || !value) throw new UpstreamError('WeCom returned no access_token (check WECOM_CORP_ID / WECOM_SECRET)');
    return { value, expiresInMs: Number(j['expires_in'] ?? 7200) * 1000 };
  }

  /** POST /cgi-bin/message/send to one person; a template card's answer carries its response_code. */
  async sendToUser(userid: string, msg: Record<string, unknown>): Promise<{ msgid: string; responseCode?: string }> {
    const j = await this.#api('/cgi-bin/message/send', { touser: userid, agentid: this.#o.agentId, enable_duplicate_check: 0, ...msg }, `wecom:user:${userid}`, 'message/send');
    return { msgid: String(j['msgid'] ?? ''), ...(typeof j['response_code'] === 'string' ? { responseCode: j['response_code'] } : {}) };
  }

  /** Replaces a template card (POST /cgi-bin/message/update_template_card); the response_code is single use. */
  async updateTemplateCard(userids: string[], responseCode: string, card: Record<string, unknown>): Promise<void> {
    await this.#api('/cgi-bin/message/update_template_card', { userids, agentid: this.#o.agentId, response_code: responseCode, template_card: card }, `wecom:card:${responseCode.slice(0, 16)}`, 'update_template_card');
  }

  /** A 紧急通知 voice call (POST /cgi-bin/pstncc/call); the app must be bound to 紧急通知. */
  async call(userids: string[]): Promise<{ failed: string[] }> {
    const j = await this.#api('/cgi-bin/pstncc/call', { callee_userid: userids }, 'wecom:call', 'pstncc/call');
    const states = (j['states'] ?? []) as { code?: number; callee_userid?: string }[];
    return { failed: states.filter((s) => s.code !== undefined && s.code !== 0).map((s) => String(s.callee_userid ?? '')) };
  }

  async #api(path: string, body: unknown, key: string, what: string): Promise<Record<string, unknown>> {
    return this.#o.outbound.run(key, `wecom ${what}`, async (signal) => {
      const token = await this.token();
      const r = await fetch(`${this.#o.apiBase}${path}?access_token=${encodeURIComponent(token)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
      try {
        return await checkWecom(r, what);
      } catch (err) {
        if (TOKEN_BAD.has((err as { wecomCode?: number }).wecomCode ?? 0)) {
          this.#token.invalidate();
          throw new RetryableError(`WeCom ${what}: access_token refused`);
        }
        throw err;
      }
    });
  }
}
