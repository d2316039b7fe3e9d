import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * A local DingTalk for tests (platforms.md §2): the Stream gateway (connections/open + a WebSocket that
 * speaks vectors/dingtalk-stream-frames.json), oauth2 accessToken, interactive cards
 * (createAndDeliver, PUT instances, callbacks/register), the robot send APIs and sessionWebhooks.
 * It validates what it receives as DingTalk does — credentials, token header, string-only
 * cardParamMap, space ids, single-use tickets, expired sessions — and records everything.
 */
export interface CardInstance {
  outTrackId: string;
  templateId: string;
  openSpaceId: string;
  callbackType: string;
  callbackRouteKey?: string;
  params: Record<string, string>;
  updates: Record<string, string>[];
}

export interface SentMarkdown {
  via: 'session' | 'group' | 'user';
  to: string;
  title: string;
  text: string;
  at?: unknown;
}

export class FakeDingtalk {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly cards = new Map<string, CardInstance>();
  readonly messages: SentMarkdown[] = [];
  readonly rejected: string[] = [];
  readonly registered: { callbackRouteKey: string; callbackUrl: string; apiSecret: string }[] = [];
  /** Frames the bot sent on the socket (parsed). */
  readonly acks: Record<string, unknown>[] = [];
  readonly sockets: WebSocket[] = [];
  tokensIssued = 0;
  opens = 0;
  /** Custom robots (自定义机器人) by access_token, with their 加签 secret. */
  readonly robots = new Map<string, { secret?: string }>();
  readonly robotPosts: { token: string; body: Record<string, unknown>; timestamp?: string; sign?: string }[] = [];
  readonly robotRefused: { token: string; errcode: number }[] = [];
  /** Answer 130101 (too fast) this many times first. */
  robotFailNext = 0;
  /** DINGs sent, and the staff the organisation has (others come back in failedList). */
  readonly dings: { remindType: number; to: string[]; content: string }[] = [];
  staff = new Set(['sre_alice', 'sre_bob', 'sre_carol']);
  /** SMS/phone DINGs left before ding.serverquota.insufficient. */
  dingQuota = Infinity;
  /** Make createAndDeliver fail (an unpublished template, say). */
  failCards?: string;
  readonly #tickets = new Set<string>();
  readonly #tokens = new Set<string>();
  readonly #sessions = new Map<string, number>();
  #server?: Server;
  #wss?: WebSocketServer;
  url = '';

  constructor(o: { clientId?: string; clientSecret?: string } = {}) {
    this.clientId = o.clientId ?? 'dingopsbotclientid01';
    this.clientSecret = o.clientSecret ?? 'opsbotDingTalkAppSecretA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U';
  }

  /** `port`: listen there again after stop() (a gateway that went away and came back). */
  async start(port = 0): Promise<void> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#wss = new WebSocketServer({ noServer: true });
    this.#server.on('upgrade', (req, socket, head) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const ticket = u.searchParams.get('ticket') ?? '';
      // A ticket opens one connection, once.
      if (u.pathname !== '/connect' || !this.#tickets.delete(ticket)) {
        this.rejected.push(`ws ticket ${ticket}`);
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      this.#wss!.handleUpgrade(req, socket, head, (ws) => {
        this.sockets.push(ws);
        ws.on('message', (d: Buffer) => {
          try {
            this.acks.push(JSON.parse(d.toString()) as Record<string, unknown>);
          } catch {
            this.rejected.push('non-JSON frame from the bot');
          }
        });
      });
    });
    await new Promise<void>((r) => this.#server!.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.#wss?.close();
    this.#server?.closeAllConnections();
    await new Promise<void>((r) => this.#server?.close(() => r()));
  }

  /** The live socket (the newest). */
  get socket(): WebSocket | undefined {
    return [...this.sockets].reverse().find((s) => s.readyState === 1);
  }

  /** Pushes a frame to the bot; resolves with its ack (by messageId). */
  async push(frame: { type: string; headers: Record<string, string>; data: string; specVersion?: string }, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const ws = this.socket;
    if (!ws) throw new Error('no stream connection');
    const id = frame.headers['messageId'];
    ws.send(JSON.stringify({ specVersion: '1.0', ...frame }));
    const end = Date.now() + timeoutMs;
    for (;;) {
      const a = this.acks.find((x) => (x['headers'] as { messageId?: string } | undefined)?.messageId === id);
      if (a) return a;
      if (Date.now() > end) throw new Error(`no ack for ${id}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** A sessionWebhook URL valid for `ttlMs`, as a message carries it. */
  session(ttlMs = 90 * 60_000): { url: string; expiresAt: number } {
    const s = randomUUID().replace(/-/g, '');
    const expiresAt = Date.now() + ttlMs;
    this.#sessions.set(s, expiresAt);
    return { url: `${this.url}/robot/sendBySession?session=${s}`, expiresAt };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const reply = (status: number, j: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(j));
    };
    const refuse = (status: number, code: string, message: string) => {
      this.rejected.push(`${req.url}: ${code} ${message}`);
      reply(status, { code, message, requestid: randomUUID() });
    };
    let body: Record<string, unknown>;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      return refuse(400, 'InvalidParameter', 'body is not JSON');
    }
    const u = new URL(req.url ?? '/', 'http://x');
    const path = u.pathname;

    if (req.method === 'POST' && path === '/v1.0/gateway/connections/open') {
      const subs = (body['subscriptions'] ?? []) as { type: string; topic: string }[];
      if (body['clientId'] !== this.clientId || body['clientSecret'] !== this.clientSecret) return refuse(401, 'Unauthorized', 'bad clientId or clientSecret');
      const need = ['EVENT *', 'CALLBACK /v1.0/im/bot/messages/get', 'CALLBACK /v1.0/card/instances/callback'];
      if (!need.every((n) => subs.some((s) => `${s.type} ${s.topic}` === n))) return refuse(400, 'InvalidParameter', 'subscriptions incomplete');
      const ticket = randomUUID();
      this.#tickets.add(ticket);
      this.opens++;
      return reply(200, { endpoint: `${this.url.replace('http', 'ws')}/connect`, ticket });
    }
    if (req.method === 'POST' && path === '/v1.0/oauth2/accessToken') {
      if (body['appKey'] !== this.clientId || body['appSecret'] !== this.clientSecret) return refuse(400, 'invalidClientIdOrSecret', '无效的clientId或者clientSecret');
      const token = `at-${++this.tokensIssued}-${randomUUID()}`;
      this.#tokens.add(token);
      return reply(200, { accessToken: token, expireIn: 7200 });
    }
    if (req.method === 'POST' && path === '/robot/sendBySession') {
      const until = this.#sessions.get(u.searchParams.get('session') ?? '');
      if (until === undefined || Date.now() > until) return reply(200, { errcode: 300001, errmsg: 'session 不存在' });
      const md = body['markdown'] as { title?: unknown; text?: unknown } | undefined;
      if (body['msgtype'] !== 'markdown' || typeof md?.title !== 'string' || typeof md.text !== 'string') return reply(200, { errcode: 40035, errmsg: '缺少参数 markdown' });
      this.messages.push({ via: 'session', to: u.searchParams.get('session') ?? '', title: md.title, text: md.text, ...(body['at'] ? { at: body['at'] } : {}) });
      return reply(200, { errcode: 0, errmsg: 'ok' });
    }
    if (req.method === 'POST' && path === '/robot/send') {
      const token = u.searchParams.get('access_token') ?? '';
      const robot = this.robots.get(token);
      const refuse = (errcode: number, errmsg: string) => {
        this.robotRefused.push({ token, errcode });
        reply(200, { errcode, errmsg });
      };
      if (!robot) return refuse(300001, 'token is not exist');
      if (robot.secret) {
        // As DingTalk: the sign is URL-decoded once by the query parser, then compared; 1 h window.
        const ts = u.searchParams.get('timestamp') ?? '';
        const sign = u.searchParams.get('sign') ?? '';
        const want = createHmac('sha256', robot.secret).update(`${ts}\n${robot.secret}`).digest('base64');
        if (!/^\d{13}$/.test(ts) || Math.abs(Date.now() - Number(ts)) > 3600_000) return refuse(310000, 'invalid timestamp');
        if (sign !== want) return refuse(310000, 'sign not match');
      }
      if (this.robotFailNext > 0) {
        this.robotFailNext--;
        return refuse(130101, 'send too fast, exceed 20 times per minute');
      }
      const md = body['markdown'] as { title?: unknown; text?: unknown } | undefined;
      if (body['msgtype'] !== 'markdown' || typeof md?.title !== 'string' || typeof md.text !== 'string') return refuse(40035, '缺少参数 markdown');
      this.robotPosts.push({ token, body, ...(u.searchParams.get('timestamp') ? { timestamp: u.searchParams.get('timestamp') as string, sign: u.searchParams.get('sign') as string } : {}) });
      return reply(200, { errcode: 0, errmsg: 'ok' });
    }
    // Everything else needs the access token.
    const token = req.headers['x-acs-dingtalk-access-token'];
    if (typeof token !== 'string' || !this.#tokens.has(token)) return refuse(401, 'InvalidAuthentication', '不合法的access_token');

    if (req.method === 'POST' && (path === '/v1.0/robot/groupMessages/send' || path === '/v1.0/robot/oToMessages/batchSend')) {
      if (body['robotCode'] !== this.clientId) return refuse(400, 'InvalidParameter', 'robotCode');
      if (body['msgKey'] !== 'sampleMarkdown' || typeof body['msgParam'] !== 'string') return refuse(400, 'InvalidParameter', 'msgKey/msgParam');
      const p = JSON.parse(body['msgParam']) as { title?: unknown; text?: unknown };
      if (typeof p.title !== 'string' || typeof p.text !== 'string') return refuse(400, 'InvalidParameter', 'msgParam needs title and text');
      const group = path.includes('group');
      const to = group ? body['openConversationId'] : (body['userIds'] as string[] | undefined)?.join(',');
      if (typeof to !== 'string' || !to) return refuse(400, 'InvalidParameter', group ? 'openConversationId' : 'userIds');
      this.messages.push({ via: group ? 'group' : 'user', to, title: p.title, text: p.text });
      return reply(200, { processQueryKey: randomUUID() });
    }
    if (req.method === 'POST' && path === '/v1.0/card/instances/createAndDeliver') {
      if (this.failCards) return refuse(400, 'param.templateNotExist', this.failCards);
      const params = (body['cardData'] as { cardParamMap?: Record<string, unknown> } | undefined)?.cardParamMap;
      if (!params || Object.values(params).some((v) => typeof v !== 'string')) return refuse(400, 'InvalidParameter', 'cardParamMap values must be strings');
      const openSpaceId = String(body['openSpaceId'] ?? '');
      const m = /^dtv1\.card\/\/(IM_GROUP|IM_ROBOT)\.(.+)$/.exec(openSpaceId);
      if (!m) return refuse(400, 'InvalidParameter', `openSpaceId ${openSpaceId}`);
      const deliver = m[1] === 'IM_GROUP' ? (body['imGroupOpenDeliverModel'] as { robotCode?: string } | undefined) : (body['imRobotOpenDeliverModel'] as { robotCode?: string; spaceType?: string } | undefined);
      if (deliver?.robotCode !== this.clientId || (m[1] === 'IM_ROBOT' && (deliver as { spaceType?: string }).spaceType !== 'IM_ROBOT')) return refuse(400, 'InvalidParameter', 'deliver model');
      const callbackType = String(body['callbackType'] ?? '');
      if (callbackType !== 'STREAM' && !(callbackType === 'HTTP' && body['callbackRouteKey'])) return refuse(400, 'InvalidParameter', 'callbackType');
      const outTrackId = String(body['outTrackId'] ?? '');
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(outTrackId)) return refuse(400, 'InvalidParameter', 'outTrackId');
      // Reusing an outTrackId does not make a second card (nor refresh it).
      if (!this.cards.has(outTrackId)) {
        this.cards.set(outTrackId, { outTrackId, templateId: String(body['cardTemplateId']), openSpaceId, callbackType, ...(body['callbackRouteKey'] ? { callbackRouteKey: String(body['callbackRouteKey']) } : {}), params: params as Record<string, string>, updates: [] });
      }
      return reply(200, { success: true, result: { outTrackId, deliverResults: [{ spaceType: m[1], spaceId: m[2], success: true, carrierId: randomUUID() }] } });
    }
    if (req.method === 'PUT' && path === '/v1.0/card/instances') {
      const card = this.cards.get(String(body['outTrackId'] ?? ''));
      if (!card) return refuse(400, 'param.cardNotExist', 'unknown outTrackId');
      const params = (body['cardData'] as { cardParamMap?: Record<string, unknown> } | undefined)?.cardParamMap;
      if (!params || Object.values(params).some((v) => typeof v !== 'string')) return refuse(400, 'InvalidParameter', 'cardParamMap values must be strings');
      card.updates.push(params as Record<string, string>);
      card.params = { ...card.params, ...(params as Record<string, string>) };
      return reply(200, { success: true, result: true });
    }
    if (req.method === 'POST' && path === '/v1.0/robot/ding/send') {
      const type = body['remindType'];
      const to = body['receiverUserIdList'];
      if (body['robotCode'] !== this.clientId) return refuse(400, 'invalid.chatbotId', 'invalid.chatbotId');
      if (type !== 1 && type !== 2 && type !== 3) return refuse(400, 'invalidParameter.param.invalid', 'remindType');
      if (!Array.isArray(to) || !to.length || typeof body['content'] !== 'string' || !body['content']) return refuse(400, 'invalidParameter.param.invalid', 'receiverUserIdList/content');
      if (to.length > (type === 1 ? 200 : 20)) return refuse(400, 'ding.receivercount.limit', 'ding receiver count limit');
      if (type !== 1 && this.dingQuota-- <= 0) return refuse(400, 'ding.serverquota.insufficient', 'ding server quota insufficient');
      const unknown = (to as string[]).filter((u) => !this.staff.has(u));
      this.dings.push({ remindType: type, to: to as string[], content: body['content'] });
      return reply(200, { openDingId: randomUUID(), ...(unknown.length ? { failedList: { 'miss.staffId': unknown } } : {}) });
    }
    if (req.method === 'POST' && path === '/v1.0/card/callbacks/register') {
      const r = { callbackRouteKey: String(body['callbackRouteKey'] ?? ''), callbackUrl: String(body['callbackUrl'] ?? ''), apiSecret: String(body['apiSecret'] ?? '') };
      if (!r.callbackRouteKey || !/^https?:\/\//.test(r.callbackUrl)) return refuse(400, 'InvalidParameter', 'callback route');
      this.registered.push(r);
      return reply(200, { success: true, result: { callbackUrl: r.callbackUrl } });
    }
    refuse(404, 'NotFound', `${req.method} ${path}`);
  }
}
