import type { Secret } from '../../config/secret.js';
import { UpstreamError } from '../../core/errors.js';
import { type Outbound, RetryableError } from '../../core/outbound.js';
import { CachedToken } from '../../core/token-cache.js';
import type { Logger } from '../../log.js';

/** Refresh the access token this long before it expires (the official SDK: 5 minutes). */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** Error codes that mean "too many requests" on the new OpenAPI (api.dingtalk.com). */
const THROTTLED = /QpsLimit|Throttl|FlowControl|TooManyRequests|RateLimit/i;
/** sessionWebhook answers: 300001 session gone; 130101 / 410100 send too fast (platforms.md §2.5–2.6). */
const SESSION_GONE = new Set([300001, 300002]);
const SESSION_THROTTLED = new Set([130101, 410100]);

export interface DingtalkClientOptions {
  apiBase: string;
  clientId: string;
  clientSecret: Secret;
  robotCode: string;
  log: Logger;
  outbound: Outbound;
  now?: () => number;
}

/** Where an interactive card goes: a group (IM_GROUP) or the 1:1 chat with the robot (IM_ROBOT). */
export type CardSpace = { kind: 'group'; conversationId: string } | { kind: 'direct'; staffId: string };

export class SessionGone extends Error {}

/**
 * DingTalk OpenAPI (platforms.md §2.4–2.5): an access token cached and refreshed early with one
 * refresh in flight; markdown through a sessionWebhook or the robot APIs; interactive cards created,
 * delivered and updated by outTrackId. Every call goes through the shared outbound path.
 */
export class DingtalkClient {
  readonly #o: Required<DingtalkClientOptions>;
  readonly #token: CachedToken;

  constructor(o: DingtalkClientOptions) {
    this.#o = { now: Date.now, ...o, apiBase: o.apiBase.replace(/\/+$/, '') };
    this.#token = new CachedToken(() => this.#fetchToken(), { marginMs: REFRESH_MARGIN_MS, now: this.#o.now });
  }

  /** The access token; concurrent callers share one refresh. */
  token(): Promise<string> {
    return this.#token.get();
  }

  async #fetchToken(): Promise<{ value: string; expiresInMs: number }> {
    const j = await this.#o.outbound.run('dingtalk:token', 'dingtalk token', async (signal) => {
      const r = await fetch(`${this.#o.apiBase}/v1.0/oauth2/accessToken`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appKey: this.#o.clientId, appSecret: this.#o.clientSecret.reveal() }),
        signal,
      });
      return this.#check(r, 'token', false);
    });
    const value = j['accessToken'];
    const expireIn = Number(j['expireIn'] ?? 7200);
    if (typeof value !== 'string' || !value) throw new UpstreamError('DingTalk returned no accessToken (check DINGTALK_CLIENT_ID / DINGTALK_CLIENT_SECRET)');
    return { value, expiresInMs: expireIn * 1000 };
  }

  /** A markdown reply through the message's sessionWebhook (no token; throws SessionGone when expired). */
  async sendBySession(url: string, md: { title: string; text: string }, at: { atUserIds?: string[]; isAtAll?: boolean } = {}): Promise<void> {
    await this.#o.outbound.run(`dingtalk:session:${url.slice(-24)}`, 'dingtalk session reply', async (signal) => {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ msgtype: 'markdown', markdown: md, ...(at.atUserIds?.length || at.isAtAll ? { at } : {}) }),
        signal,
      });
      if (r.status === 429 || r.status >= 500) throw new RetryableError(`DingTalk session reply: HTTP ${r.status}`, 1000);
      const j = (await r.json().catch(() => ({}))) as { errcode?: number; errmsg?: string };
      const code = Number(j.errcode ?? (r.ok ? 0 : r.status));
      if (code === 0) return;
      if (SESSION_GONE.has(code)) throw new SessionGone(`sessionWebhook expired (${code})`);
      if (SESSION_THROTTLED.has(code)) throw new RetryableError(`DingTalk session reply: throttled (${code})`, 3000);
      throw new UpstreamError(`DingTalk session reply failed: ${code} ${String(j.errmsg ?? '').slice(0, 120)}`);
    });
  }

  /** A markdown message to a group the robot is in (POST /v1.0/robot/groupMessages/send). */
  async sendToGroup(conversationId: string, md: { title: string; text: string }): Promise<string> {
    const j = await this.#api('POST', '/v1.0/robot/groupMessages/send', { robotCode: this.#o.robotCode, openConversationId: conversationId, msgKey: 'sampleMarkdown', msgParam: JSON.stringify(md) }, `dingtalk:chat:${conversationId}`, 'group send');
    return String(j['processQueryKey'] ?? '');
  }

  /** A markdown message in the 1:1 chats of the robot with these people (POST /v1.0/robot/oToMessages/batchSend). */
  async sendToUsers(staffIds: string[], md: { title: string; text: string }): Promise<string> {
    const j = await this.#api('POST', '/v1.0/robot/oToMessages/batchSend', { robotCode: this.#o.robotCode, userIds: staffIds, msgKey: 'sampleMarkdown', msgParam: JSON.stringify(md) }, `dingtalk:user:${staffIds.join(',')}`, '1:1 send');
    const invalid = j['invalidStaffIdList'];
    if (Array.isArray(invalid) && invalid.length) throw new UpstreamError(`DingTalk 1:1 send: unknown staffId ${invalid.slice(0, 3).join(', ')}`);
    return String(j['processQueryKey'] ?? '');
  }

  /**
   * Creates and delivers an interactive card (POST /v1.0/card/instances/createAndDeliver). A retried
   * call with the same outTrackId does not make a second card.
   */
  async createAndDeliver(o: { templateId: string; outTrackId: string; params: Record<string, string>; space: CardSpace; callback: { type: 'STREAM' } | { type: 'HTTP'; routeKey: string } }): Promise<void> {
    const group = o.space.kind === 'group';
    const body = {
      cardTemplateId: o.templateId,
      outTrackId: o.outTrackId,
      callbackType: o.callback.type,
      ...(o.callback.type === 'HTTP' ? { callbackRouteKey: o.callback.routeKey } : {}),
      cardData: { cardParamMap: o.params },
      userIdType: 1,
      ...(o.space.kind === 'group'
        ? { openSpaceId: `dtv1.card//IM_GROUP.${o.space.conversationId}`, imGroupOpenSpaceModel: { supportForward: false }, imGroupOpenDeliverModel: { robotCode: this.#o.robotCode } }
        : { openSpaceId: `dtv1.card//IM_ROBOT.${o.space.staffId}`, imRobotOpenSpaceModel: { supportForward: false }, imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT', robotCode: this.#o.robotCode } }),
    };
    const key = group ? `dingtalk:chat:${(o.space as { conversationId: string }).conversationId}` : `dingtalk:user:${(o.space as { staffId: string }).staffId}`;
    const j = await this.#api('POST', '/v1.0/card/instances/createAndDeliver', body, key, 'card create');
    const results = ((j['result'] as { deliverResults?: { success?: boolean; errorMsg?: string }[] } | undefined)?.deliverResults ?? []) as { success?: boolean; errorMsg?: string }[];
    const failed = results.find((x) => x.success === false);
    if (failed || j['success'] === false) throw new UpstreamError(`DingTalk could not deliver the card: ${String(failed?.errorMsg ?? 'no reason given').slice(0, 160)}`);
  }

  /** Updates a card's variables in place (PUT /v1.0/card/instances). */
  async updateCard(outTrackId: string, params: Record<string, string>): Promise<void> {
    await this.#api('PUT', '/v1.0/card/instances', { outTrackId, cardData: { cardParamMap: params }, cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true } }, `dingtalk:card:${outTrackId}`, 'card update');
  }

  /**
   * A robot DING (POST /v1.0/robot/ding/send; 专业版/专属版 with the permission 企业机器人发送撤回DING消息):
   * remindType 1 in-app, 2 SMS, 3 phone. At most 200 receivers in-app and 20 by SMS or phone.
   * Returns the openDingId and the receivers DingTalk could not reach.
   */
  async ding(remindType: 1 | 2 | 3, staffIds: string[], content: string): Promise<{ openDingId: string; failed: string[] }> {
    const j = await this.#api('POST', '/v1.0/robot/ding/send', { robotCode: this.#o.robotCode, remindType, receiverUserIdList: staffIds, content }, 'dingtalk:ding', 'DING');
    const failedList = (j['failedList'] ?? {}) as Record<string, unknown>;
    const failed = Object.values(failedList).flatMap((v) => (Array.isArray(v) ? v.map(String) : []));
    return { openDingId: String(j['openDingId'] ?? ''), failed };
  }

  /** Registers where HTTP card callbacks go (POST /v1.0/card/callbacks/register). */
  async registerCardCallback(routeKey: string, callbackUrl: string, apiSecret: string): Promise<void> {
    await this.#api('POST', '/v1.0/card/callbacks/register', { callbackRouteKey: routeKey, callbackUrl, apiSecret, forceUpdate: true }, 'dingtalk:register', 'card callback register');
  }

  async #api(method: string, path: string, body: unknown, key: string, what: string): Promise<Record<string, unknown>> {
    return this.#o.outbound.run(key, `dingtalk ${what}`, async (signal) => {
      const token = await this.token();
      const r = await fetch(`${this.#o.apiBase}${path}`, {
        method,
        headers: { 'x-acs-dingtalk-access-token': token, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal,
      });
      return this.#check(r, what, true);
    });
  }

  /** The new OpenAPI answers 200 with the result, or 4xx/5xx with {code, message, requestid}. */
  async #check(r: Response, what: string, authed: boolean): Promise<Record<string, unknown>> {
    let j: Record<string, unknown>;
    try {
      j = (await r.json()) as Record<string, unknown>;
    } catch {
      if (r.status === 429 || r.status >= 500) throw new RetryableError(`DingTalk ${what}: HTTP ${r.status}`);
      throw new UpstreamError(`DingTalk ${what}: HTTP ${r.status} with a non-JSON body`);
    }
    if (r.ok) return j;
    const code = String(j['code'] ?? '');
    if (code === 'ding.serverquota.insufficient') throw new UpstreamError(`DingTalk ${what}: the organisation's DING quota is used up (钉钉管理后台 → 增购 DING 额度)`);
    if (r.status === 429 || THROTTLED.test(code) || code === 'toomuch.msg') throw new RetryableError(`DingTalk ${what}: throttled (${code || r.status})`, 2000);
    if (authed && (r.status === 401 || /InvalidAuthentication|token/i.test(code))) {
      this.#token.invalidate();
      throw new RetryableError(`DingTalk ${what}: access token refused (${code || r.status})`);
    }
    if (r.status >= 500) throw new RetryableError(`DingTalk ${what}: HTTP ${r.status}`);
    this.#o.log.warn({ what, status: r.status, code, message: String(j['message'] ?? '').slice(0, 200), requestid: j['requestid'] }, 'dingtalk api refused');
    throw new UpstreamError(`DingTalk ${what} failed: ${code || r.status}${j['message'] ? ` (${String(j['message']).slice(0, 120)})` : ''}`);
  }
}
