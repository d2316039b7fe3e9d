import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cardSchema } from './feishu-api.js';

export interface BotPost {
  token: string;
  body: { timestamp?: string; sign?: string; msg_type: string; card: Record<string, unknown> };
  /** When it arrived (ms). */
  at: number;
}

/**
 * A local Feishu custom bot endpoint (`POST /open-apis/bot/v2/hook/<token>`), answering as Feishu does:
 * unknown token → 19001; with a secret configured, a missing or wrong `sign` or a timestamp more than
 * 1 h off → 19021; body over 20 KB → 9499; a card that is not valid card JSON 2.0 → 11246 (as Feishu's
 * card parser); `failNext` answers 11232 (frequency limit) that many times first.
 */
export class FakeFeishuBot {
  readonly posts: BotPost[] = [];
  readonly refused: { token: string; code: number }[] = [];
  failNext = 0;
  /** Answer HTTP 429 with Retry-After this many times first. */
  throttleNext = 0;
  readonly throttledAt: number[] = [];
  #server?: Server;
  url = '';

  constructor(private readonly bots: Record<string, { secret?: string }>) {}

  hook(token: string): string {
    return `${this.url}/open-apis/bot/v2/hook/${token}`;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = (code: number, msg: string) => {
          if (code) this.refused.push({ token, code });
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(code ? { code, msg, data: {} } : { StatusCode: 0, StatusMessage: 'success', code: 0, msg: 'success', data: {} }));
        };
        const m = /^\/open-apis\/bot\/v2\/hook\/([A-Za-z0-9-]+)$/.exec(req.url ?? '');
        const token = m?.[1] ?? '';
        const raw = Buffer.concat(chunks);
        if (req.method !== 'POST' || !m) return void res.writeHead(404).end();
        const bot = this.bots[token];
        if (!bot) return answer(19001, 'param invalid: incoming webhook access token invalid');
        if (raw.length > 20 * 1024) return answer(9499, 'Bad Request: request body too large');
        let body: BotPost['body'];
        try {
          body = JSON.parse(raw.toString('utf8')) as BotPost['body'];
        } catch {
          return answer(9499, 'Bad Request');
        }
        if (bot.secret) {
          const ts = Number(body.timestamp);
          const want = createHmac('sha256', `${body.timestamp}\n${bot.secret}`).update('').digest();
          const got = Buffer.from(String(body.sign ?? ''), 'base64');
          const fresh = Number.isInteger(ts) && Math.abs(Date.now() / 1000 - ts) <= 3600;
          if (!fresh || got.length !== want.length || !timingSafeEqual(got, want)) return answer(19021, 'sign match fail or timestamp is not within one hour from current time');
        }
        if (this.throttleNext > 0) {
          this.throttleNext--;
          this.throttledAt.push(Date.now());
          return void res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify({ code: 11232, msg: 'too many requests' }));
        }
        if (this.failNext > 0) {
          this.failNext--;
          return answer(11232, 'frequency limited psm[lark.oapi.app_platform_runtime]appID[1]');
        }
        if (body.msg_type !== 'interactive' || !cardSchema.safeParse(body.card).success) return answer(11246, 'card content is invalid');
        // A custom bot's card cannot call back: a button would be dead.
        if (JSON.stringify(body.card).includes('"callback"')) return answer(11246, 'custom bot cards cannot have callback buttons');
        this.posts.push({ token, body, at: Date.now() });
        answer(0, 'success');
      });
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }
}
