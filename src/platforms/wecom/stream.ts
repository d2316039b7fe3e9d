import type { Secret } from '../../config/secret.js';
import { type ConnectionStatus, type Link, LongConnection } from '../../core/long-connection.js';
import type { Logger } from '../../log.js';
import { type BotFrame, decodeBotFrame, reqId } from './frames.js';

export interface BotStreamOptions {
  wsUrl: string;
  botId: string;
  botSecret: Secret;
  log: Logger;
  /** A callback frame (aibot_msg_callback / aibot_event_callback) with its req_id. */
  onCallback(cmd: string, body: Record<string, unknown>, reqId: string): Promise<void>;
  minBackoffMs?: number;
  /** How long to stay away after another connection took the bot over (disconnected_event). */
  standbyMs?: number;
}

const ACK_TIMEOUT_MS = 10_000;
const MAX_FRAME = 4 * 1024 * 1024;

/**
 * The intelligent bot's long connection (platforms.md §3.2, vectors/wecom-aibot-frames.json): the
 * framing only, over core's LongConnection. An own client rather than `@wecom/aibot-node-sdk`: the SDK
 * types template-card events wrongly (pitfall 7), runs its own reconnect loop and logger, and we need our
 * shared backoff/health and a configurable address for tests. First frame `aibot_subscribe`; `ping`
 * every 30 s; every outbound frame is acknowledged by the server with its req_id, and replies that share
 * a req_id are sent one after another, each after the previous ack. One live connection per bot: a
 * `disconnected_event` means another connection took over — we stand by instead of kicking it back.
 */
export class BotStream {
  readonly #o: BotStreamOptions;
  #conn: LongConnection;
  #link?: Link;
  #subscribed = false;
  #standby?: NodeJS.Timeout;
  #stopped = false;
  readonly #pending = new Map<string, { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  /** Replies per req_id, in order. */
  readonly #chains = new Map<string, Promise<void>>();

  constructor(o: BotStreamOptions) {
    this.#o = o;
    this.#conn = this.#make();
  }

  #make(): LongConnection {
    return new LongConnection({
      name: 'wecom bot long connection',
      log: this.#o.log,
      endpoint: async () => ({ url: this.#o.wsUrl }),
      onOpen: (link) => {
        this.#link = link;
        this.#subscribed = false;
        void this.#send(link, { cmd: 'aibot_subscribe', headers: { req_id: reqId('aibot_subscribe') }, body: { bot_id: this.#o.botId, secret: this.#o.botSecret.reveal() } })
          .then(() => {
            this.#subscribed = true;
            this.#o.log.info('wecom bot subscribed');
          })
          .catch((err: Error) => {
            this.#o.log.error({ reason: err.message }, 'wecom bot: subscribe refused (check WECOM_BOT_ID / WECOM_BOT_SECRET)');
            link.reconnect('subscribe refused');
          });
      },
      onFrame: (data, link) => this.#onFrame(data, link),
      heartbeat: { intervalMs: () => 30_000, immediate: false, frame: () => JSON.stringify({ cmd: 'ping', headers: { req_id: reqId('ping') } }) },
      maxPayload: MAX_FRAME,
      ...(this.#o.minBackoffMs ? { minBackoffMs: this.#o.minBackoffMs } : {}),
    });
  }

  get status(): ConnectionStatus & { subscribed: boolean } {
    return { ...this.#conn.status, subscribed: this.#subscribed };
  }

  start(): void {
    this.#conn.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#standby);
    await this.#conn.stop();
    for (const p of this.#pending.values()) p.reject(new Error('connection closed'));
  }

  /**
   * Sends a frame and resolves on the server's ack. `req_id` is the inbound one for replies
   * (aibot_respond_msg / aibot_respond_update_msg) or a fresh one (aibot_send_msg).
   */
  request(cmd: string, id: string, body: Record<string, unknown>): Promise<void> {
    const prev = this.#chains.get(id) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => {
      const link = this.#link;
      if (!link || !this.#subscribed) throw new Error('the WeCom bot long connection is not up');
      return this.#send(link, { cmd, headers: { req_id: id }, body });
    });
    this.#chains.set(id, next);
    void next.finally(() => {
      if (this.#chains.get(id) === next) this.#chains.delete(id);
    }).catch(() => undefined);
    return next;
  }

  #send(link: Link, f: BotFrame): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = f.headers.req_id;
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`no ack for ${f.cmd} within ${ACK_TIMEOUT_MS} ms`));
      }, ACK_TIMEOUT_MS);
      timer.unref();
      this.#pending.set(id, { resolve, reject, timer });
      if (!link.send(JSON.stringify(f))) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(new Error('the WeCom bot long connection is closed'));
      }
    });
  }

  #onFrame(raw: Buffer, link: Link): void {
    const f = decodeBotFrame(raw);
    if (!f) {
      this.#o.log.warn({ bytes: raw.length }, 'wecom bot: undecodable frame dropped');
      return;
    }
    const id = f.headers.req_id;
    // An ack of one of ours: {headers:{req_id}, errcode, errmsg}.
    if (f.errcode !== undefined && !f.cmd) {
      const p = this.#pending.get(id);
      if (!p) return;
      this.#pending.delete(id);
      clearTimeout(p.timer);
      if (f.errcode === 0) p.resolve();
      else p.reject(new Error(`errcode ${f.errcode}${f.errmsg ? ` (${String(f.errmsg).slice(0, 120)})` : ''}`));
      return;
    }
    if (f.cmd === 'aibot_msg_callback' || f.cmd === 'aibot_event_callback') {
      const body = f.body ?? {};
      const ev = (body['event'] as { eventtype?: string } | undefined)?.eventtype;
      if (ev === 'disconnected_event') return this.#takenOver();
      void link.answer(async () => {
        await this.#o.onCallback(f.cmd, body, id);
        return undefined;
      });
      return;
    }
    this.#o.log.debug({ cmd: f.cmd }, 'wecom bot: frame ignored');
  }

  /** Another connection authenticated for this bot: stand by rather than kick it back. */
  #takenOver(): void {
    this.#o.log.warn('wecom bot: another connection took this bot over (disconnected_event); standing by — run one replica per bot');
    this.#subscribed = false;
    const old = this.#conn;
    void old.stop();
    if (this.#stopped) return;
    this.#standby = setTimeout(() => {
      if (this.#stopped) return;
      this.#conn = this.#make();
      this.#conn.start();
    }, this.#o.standbyMs ?? 5 * 60_000);
    this.#standby.unref();
  }
}
