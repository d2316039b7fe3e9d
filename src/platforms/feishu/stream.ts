import WebSocket from 'ws';
import type { Secret } from '../../config/secret.js';
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
 * Feishu's long connection ("使用长连接接收事件/回调", platforms.md §1.1), our own client over `ws` +
 * protobuf: POST /callback/ws/endpoint with AppID/AppSecret for a wss URL, then frames. Authenticated at
 * connect, so frames carry no signature; every data frame is acked by echoing it with
 * `{"code":200,"data":base64(JSON(answer))}` — a card click's toast and card ride in that ack.
 * Reconnects with exponential backoff. With several replicas each event goes to ONE random connection
 * (max 50 per app), so the dedupe store must be shared.
 */
export class FeishuStream {
  readonly #o: Required<FeishuStreamOptions>;
  #ws?: WebSocket;
  #stopped = false;
  #ping?: NodeJS.Timeout;
  #retry?: NodeJS.Timeout;
  #attempt = 0;
  #pingIntervalMs = 120_000;
  #serviceId = 0;
  readonly #fragments = new Map<string, Fragments>();

  constructor(o: FeishuStreamOptions) {
    this.#o = { minBackoffMs: 1000, maxBackoffMs: 60_000, ...o, apiBase: o.apiBase.replace(/\/+$/, '') };
  }

  start(): void {
    void this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#ping);
    clearTimeout(this.#retry);
    const ws = this.#ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      await new Promise<void>((r) => {
        ws.once('close', () => r());
        ws.close();
        setTimeout(r, 1000).unref();
      });
    }
    ws?.terminate();
  }

  async #endpoint(): Promise<string> {
    const r = await fetch(`${this.#o.apiBase}/callback/ws/endpoint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', locale: 'zh' },
      body: JSON.stringify({ AppID: this.#o.appId, AppSecret: this.#o.appSecret.reveal() }),
      signal: AbortSignal.timeout(15_000),
    });
    const j = (await r.json()) as { code?: number; msg?: string; data?: { URL?: string; ClientConfig?: { PingInterval?: number } } };
    if (j.code !== 0 || !j.data?.URL) throw new Error(`endpoint refused: code ${j.code ?? r.status}${j.msg ? ` (${j.msg})` : ''}`);
    if (j.data.ClientConfig?.PingInterval) this.#pingIntervalMs = j.data.ClientConfig.PingInterval * 1000;
    return j.data.URL;
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    let url: string;
    try {
      url = await this.#endpoint();
    } catch (err) {
      this.#o.log.warn({ reason: (err as Error).message }, 'feishu long connection: cannot get an endpoint');
      return this.#scheduleReconnect();
    }
    this.#serviceId = Number(new URL(url).searchParams.get('service_id') ?? 0);
    const ws = new WebSocket(url, { handshakeTimeout: 15_000, maxPayload: MAX_PAYLOAD });
    this.#ws = ws;
    ws.on('open', () => {
      this.#attempt = 0;
      this.#o.log.info('feishu long connection open');
      this.#pingLoop();
    });
    ws.on('message', (data: Buffer) => void this.#onMessage(ws, data));
    ws.on('error', (err) => this.#o.log.warn({ reason: err.message }, 'feishu long connection error'));
    ws.on('close', (code) => {
      clearTimeout(this.#ping);
      if (this.#stopped) return;
      this.#o.log.warn({ code }, 'feishu long connection closed; reconnecting');
      this.#scheduleReconnect();
    });
  }

  #scheduleReconnect(): void {
    if (this.#stopped) return;
    const base = Math.min(this.#o.maxBackoffMs, this.#o.minBackoffMs * 2 ** this.#attempt++);
    const delay = base / 2 + Math.random() * (base / 2);
    this.#retry = setTimeout(() => void this.#connect(), delay);
    this.#retry.unref();
  }

  #pingLoop(): void {
    this.#send({ SeqID: 0, LogID: 0, service: this.#serviceId, method: METHOD_CONTROL, headers: [{ key: 'type', value: 'ping' }] });
    this.#ping = setTimeout(() => this.#pingLoop(), this.#pingIntervalMs);
    this.#ping.unref();
  }

  #send(f: Frame): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(encodeFrame(f));
  }

  async #onMessage(ws: WebSocket, data: Buffer): Promise<void> {
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
    const started = Date.now();
    let answer: unknown;
    let afterAck: (() => void) | undefined;
    let code = 200;
    try {
      const parsed = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      const r = await this.#o.onPayload(parsed, type);
      answer = r?.answer;
      afterAck = r?.afterAck;
    } catch (err) {
      code = 500;
      this.#o.log.error({ err, messageId: header(frame, 'message_id') }, 'feishu long connection: frame handling failed');
    }
    const ack: { code: number; data?: string } = { code };
    if (answer !== undefined) ack.data = Buffer.from(JSON.stringify(answer)).toString('base64');
    if (ws.readyState === WebSocket.OPEN) {
      ws.send(encodeFrame({ ...frame, headers: [...frame.headers, { key: 'biz_rt', value: String(Date.now() - started) }], payload: Buffer.from(JSON.stringify(ack)) }), () => afterAck?.());
    } else afterAck?.();
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
