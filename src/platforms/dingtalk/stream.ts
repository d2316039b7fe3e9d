import type { Secret } from '../../config/secret.js';
import { type ConnectionStatus, type Link, LongConnection } from '../../core/long-connection.js';
import type { Logger } from '../../log.js';

import { ackFrame, decodeFrame, pongFrame, TOPIC_CARD, TOPIC_ROBOT } from './frames.js';

export { TOPIC_CARD, TOPIC_ROBOT };

/** What the adapter does with a CALLBACK: its answer goes into the ack's `response`. */
export type CallbackHandler = (topic: string, data: unknown, headers: Record<string, string>) => Promise<{ response?: unknown; afterAck?: () => void }>;

export interface DingtalkStreamOptions {
  apiBase: string;
  clientId: string;
  clientSecret: Secret;
  log: Logger;
  onCallback: CallbackHandler;
  minBackoffMs?: number;
}

const MAX_FRAME = 1024 * 1024;

/**
 * DingTalk Stream mode (platforms.md §2.1): the framing only, over the shared LongConnection. An own
 * client rather than the `dingtalk-stream` package: that package brings axios and its own reconnect
 * loop and logger, and we need the ack built with the handler's answer, the connection's backoff and
 * health in one place, and the gateway address configurable (DINGTALK_API_BASE) for tests. Every frame
 * with a messageId is acked — malformed ones too (logged), so the gateway neither redelivers them nor
 * drops the connection. The ticket is single-use: a new one is asked for on every (re)connect.
 */
export class DingtalkStream {
  readonly #o: DingtalkStreamOptions;
  readonly #conn: LongConnection;

  constructor(o: DingtalkStreamOptions) {
    this.#o = { ...o, apiBase: o.apiBase.replace(/\/+$/, '') };
    this.#conn = new LongConnection({
      name: 'dingtalk stream',
      log: o.log,
      endpoint: () => this.#endpoint(),
      onFrame: (data, link) => this.#onFrame(data, link),
      // The gateway pings at the protocol level (SYSTEM ping); a WebSocket ping every 10 s catches a
      // dead socket sooner, and 30 s of silence replaces it.
      heartbeat: { intervalMs: () => 10_000 },
      idleTimeoutMs: () => 30_000,
      maxPayload: MAX_FRAME,
      ...(o.minBackoffMs ? { minBackoffMs: o.minBackoffMs } : {}),
    });
  }

  get status(): ConnectionStatus {
    return this.#conn.status;
  }

  start(): void {
    this.#conn.start();
  }

  stop(): Promise<void> {
    return this.#conn.stop();
  }

  async #endpoint(): Promise<{ url: string }> {
    const r = await fetch(`${this.#o.apiBase}/v1.0/gateway/connections/open`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        clientId: this.#o.clientId,
        clientSecret: this.#o.clientSecret.reveal(),
        ua: 'opsbot',
        subscriptions: [
          { type: 'EVENT', topic: '*' },
          { type: 'CALLBACK', topic: TOPIC_ROBOT },
          { type: 'CALLBACK', topic: TOPIC_CARD },
        ],
      }),
      signal: AbortSignal.timeout(15_000),
    });
    const j = (await r.json().catch(() => ({}))) as { endpoint?: string; ticket?: string; code?: string; message?: string };
    if (!r.ok || !j.endpoint || !j.ticket) throw new Error(`connections/open refused: ${j.code ?? r.status}${j.message ? ` (${String(j.message).slice(0, 120)})` : ''} — check DINGTALK_CLIENT_ID / DINGTALK_CLIENT_SECRET and that the robot uses Stream mode`);
    const u = new URL(j.endpoint);
    u.searchParams.set('ticket', j.ticket);
    return { url: u.href };
  }

  #onFrame(raw: Buffer, link: Link): void {
    const f = decodeFrame(raw);
    if (!f) {
      this.#o.log.warn({ bytes: raw.length }, 'dingtalk stream: undecodable frame dropped');
      return;
    }
    const messageId = typeof f.headers['messageId'] === 'string' ? f.headers['messageId'] : undefined;
    const topic = f.headers['topic'] ?? '';
    if (f.type === 'SYSTEM') {
      if (topic === 'ping') {
        // Echo as the official client does: the same headers and data.
        link.send(pongFrame(f));
      } else if (topic === 'disconnect') {
        link.reconnect('the gateway is closing this connection');
      } else this.#o.log.debug({ topic }, 'dingtalk stream: system frame ignored');
      return;
    }
    if (!messageId) {
      this.#o.log.warn({ type: f.type, topic }, 'dingtalk stream: frame without a messageId dropped');
      return;
    }
    const ack = (data: unknown) => ackFrame(messageId, data);
    if (f.type === 'EVENT') {
      // Organisation events are not used; acked so they are not pushed again.
      link.send(ack({ status: 'SUCCESS' }));
      return;
    }
    if (f.type !== 'CALLBACK') {
      this.#o.log.warn({ type: String(f.type) }, 'dingtalk stream: unknown frame type acked');
      link.send(ack({ response: 'SUCCESS' }));
      return;
    }
    if (topic === TOPIC_ROBOT) {
      // Robot messages are fire-and-forget (DingTalk does not redeliver them) and their ack says nothing
      // but SUCCESS: ack at once, then dedupe and dispatch — tracked, so a shutdown lets them finish.
      link.send(ack({ response: 'SUCCESS' }));
      void link.answer(async () => {
        let data: unknown;
        try {
          data = JSON.parse(typeof f.data === 'string' ? f.data : '');
        } catch {
          this.#o.log.warn({ topic, messageId }, 'dingtalk stream: robot message with undecodable data dropped');
          return undefined;
        }
        const r = await this.#o.onCallback(topic, data, f.headers);
        r.afterAck?.();
        return undefined;
      });
      return;
    }
    void link.answer(
      async () => {
        let data: unknown;
        try {
          data = JSON.parse(typeof f.data === 'string' ? f.data : '');
        } catch {
          this.#o.log.warn({ topic, messageId }, 'dingtalk stream: callback with undecodable data acked and dropped');
          return { data: ack({ response: 'SUCCESS' }) };
        }
        const r = await this.#o.onCallback(topic, data, f.headers);
        return { data: ack({ response: r.response ?? 'SUCCESS' }), ...(r.afterAck ? { afterAck: r.afterAck } : {}) };
      },
      () => ({ data: ack({ response: 'SUCCESS' }) }),
    );
  }
}
