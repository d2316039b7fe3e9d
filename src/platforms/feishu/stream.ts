import type { Secret } from '../../config/secret.js';
import { type ConnectionStatus, type Link, LongConnection } from '../../core/long-connection.js';
import type { Logger } from '../../log.js';
import { decodeFrame, encodeFrame, type Frame, header, METHOD_CONTROL, METHOD_DATA } from './frames.js';

/**
 * What the long connection hands the adapter: one merged payload. It returns what goes into the ack
 * (a click's toast and card), and what to do once the ack is on the wire.
 */
export type FrameHandler = (payload: Record<string, unknown>, kind: 'event' | 'card') => Promise<{ answer?: unknown; afterAck?: () => void } | undefined>;

export interface FeishuStreamOptions {
  apiBase: string;
  appId: string;
  appSecret: Secret;
  log: Logger;
  onPayload: FrameHandler;
  /** First reconnect delay; doubles up to maxBackoffMs, with jitter. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

interface Fragments {
  parts: (Buffer | undefined)[];
  at: number;
}

const FRAGMENT_TTL_MS = 10_000;
const MAX_PAYLOAD = 4 * 1024 * 1024;

/**
 * Feishu's long connection ("使用长连接接收事件/回调", platforms.md §1.1): the framing only — protobuf
 * frames over the shared LongConnection (reconnect, backoff, heartbeat, ack bookkeeping). POST
 * /callback/ws/endpoint with AppID/AppSecret gives a wss URL; authenticated at connect, so frames carry
 * no signature; every data frame is acked by echoing it with `{"code":200,"data":base64(JSON(answer))}` —
 * a card click's toast and card ride in that ack. With several replicas each event goes to ONE random
 * connection (max 50 per app), so the dedupe store must be shared.
 */
export class FeishuStream {
  readonly #o: FeishuStreamOptions;
  readonly #conn: LongConnection;
  #pingIntervalMs = 120_000;
  #serviceId = 0;
  readonly #fragments = new Map<string, Fragments>();

  constructor(o: FeishuStreamOptions) {
    this.#o = { ...o, apiBase: o.apiBase.replace(/\/+$/, '') };
    this.#conn = new LongConnection({
      name: 'feishu long connection',
      log: o.log,
      endpoint: () => this.#endpoint(),
      onFrame: (data, link) => this.#onFrame(data, link),
      heartbeat: {
        intervalMs: () => this.#pingIntervalMs,
        frame: () => encodeFrame({ SeqID: 0, LogID: 0, service: this.#serviceId, method: METHOD_CONTROL, headers: [{ key: 'type', value: 'ping' }] }),
      },
      maxPayload: MAX_PAYLOAD,
      ...(o.minBackoffMs ? { minBackoffMs: o.minBackoffMs } : {}),
      ...(o.maxBackoffMs ? { maxBackoffMs: o.maxBackoffMs } : {}),
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
    const r = await fetch(`${this.#o.apiBase}/callback/ws/endpoint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', locale: 'zh' },
      body: JSON.stringify({ AppID: this.#o.appId, AppSecret: this.#o.appSecret.reveal() }),
      signal: AbortSignal.timeout(15_000),
    });
    const j = (await r.json()) as { code?: number; msg?: string; data?: { URL?: string; ClientConfig?: { PingInterval?: number } } };
    if (j.code !== 0 || !j.data?.URL) throw new Error(`endpoint refused: code ${j.code ?? r.status}${j.msg ? ` (${j.msg})` : ''}`);
    if (j.data.ClientConfig?.PingInterval) this.#pingIntervalMs = j.data.ClientConfig.PingInterval * 1000;
    this.#serviceId = Number(new URL(j.data.URL).searchParams.get('service_id') ?? 0);
    return { url: j.data.URL };
  }

  #onFrame(data: Buffer, link: Link): void {
    let frame: Frame;
    try {
      frame = decodeFrame(data);
    } catch {
      this.#o.log.warn('feishu long connection: undecodable frame dropped');
      return;
    }
    if (frame.method === METHOD_CONTROL) {
      if (header(frame, 'type') === 'pong' && frame.payload?.length) {
        try {
          const cfg = JSON.parse(Buffer.from(frame.payload).toString('utf8')) as { PingInterval?: number };
          if (cfg.PingInterval) this.#pingIntervalMs = cfg.PingInterval * 1000;
        } catch {
          // a pong without config is fine
        }
      }
      return;
    }
    if (frame.method !== METHOD_DATA) return;
    const type = header(frame, 'type');
    if (type !== 'event' && type !== 'card') return;
    const payload = this.#merge(frame);
    if (!payload) return;
    const ackFrame = (startedAt: number, ack: { code: number; data?: string }) =>
      encodeFrame({ ...frame, headers: [...frame.headers, { key: 'biz_rt', value: String(Date.now() - startedAt) }], payload: Buffer.from(JSON.stringify(ack)) });
    void link.answer(
      async (startedAt) => {
        const parsed = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
        const r = await this.#o.onPayload(parsed, type);
        const ack: { code: number; data?: string } = { code: 200 };
        if (r?.answer !== undefined) ack.data = Buffer.from(JSON.stringify(r.answer)).toString('base64');
        return { data: ackFrame(startedAt, ack), ...(r?.afterAck ? { afterAck: r.afterAck } : {}) };
      },
      (_err, startedAt) => ({ data: ackFrame(startedAt, { code: 500 }) }),
    );
  }

  /** Large payloads arrive in `sum` parts numbered by `seq`; returns the whole when complete. */
  #merge(frame: Frame): Buffer | undefined {
    const sum = Number(header(frame, 'sum') ?? 1);
    const body = Buffer.from(frame.payload ?? []);
    if (!(sum > 1)) return body;
    const id = header(frame, 'message_id') ?? '';
    const seq = Number(header(frame, 'seq') ?? 0);
    const now = Date.now();
    for (const [k, f] of this.#fragments) if (now - f.at > FRAGMENT_TTL_MS) this.#fragments.delete(k);
    if (sum > 64 || seq < 0 || seq >= sum) return undefined;
    const entry = this.#fragments.get(id) ?? { parts: new Array<Buffer | undefined>(sum).fill(undefined), at: now };
    entry.parts[seq] = body;
    this.#fragments.set(id, entry);
    if (entry.parts.some((p) => !p)) return undefined;
    this.#fragments.delete(id);
    return Buffer.concat(entry.parts as Buffer[]);
  }
}
