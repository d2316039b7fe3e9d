import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A local Feishu long-connection gateway speaking pbbp2 frames as the official SDK encodes them
 * (field numbers from larksuite/node-sdk ws-client/proto-buf/pbbp2.js), defined here independently of
 * the code under test. It answers pings with a pong carrying the client config, pushes event frames
 * (optionally split into `sum` fragments) and resolves with the client's ack.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    pbbp2: {
      nested: {
        Header: { fields: { key: { rule: 'required', type: 'string', id: 1 }, value: { rule: 'required', type: 'string', id: 2 } } },
        Frame: {
          fields: {
            SeqID: { rule: 'required', type: 'uint64', id: 1 },
            LogID: { rule: 'required', type: 'uint64', id: 2 },
            service: { rule: 'required', type: 'int32', id: 3 },
            method: { rule: 'required', type: 'int32', id: 4 },
            headers: { rule: 'repeated', type: 'Header', id: 5 },
            payloadEncoding: { type: 'string', id: 6 },
            payloadType: { type: 'string', id: 7 },
            payload: { type: 'bytes', id: 8 },
            LogIDNew: { type: 'string', id: 9 },
          },
        },
      },
    },
  },
});
const Frame = root.lookupType('pbbp2.Frame');

export interface Ack {
  headers: Record<string, string>;
  code: number;
  /** The decoded `data` (a click's toast and card), if any. */
  data?: unknown;
}

export class FakeFeishuGateway {
  readonly #wss: WebSocketServer;
  readonly sockets = new Set<WebSocket>();
  readonly pings: number[] = [];
  connections = 0;
  url = '';
  #seq = 0;
  readonly #acks = new Map<string, (a: Ack) => void>();

  constructor() {
    this.#wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    this.#wss.on('connection', (ws, req) => {
      const q = new URL(req.url ?? '/', 'ws://x').searchParams;
      if (q.get('device_id') !== 'dev-1') return ws.close(4001, 'bad device');
      this.connections++;
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      ws.on('message', (buf: Buffer) => this.#onFrame(ws, buf));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => (this.#wss.address() ? r() : this.#wss.once('listening', r)));
    this.url = `ws://127.0.0.1:${(this.#wss.address() as AddressInfo).port}/ws?device_id=dev-1&service_id=42`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise<void>((r) => this.#wss.close(() => r()));
  }

  /** Drops every connection (the client must reconnect). */
  kick(): void {
    for (const s of this.sockets) s.terminate();
  }

  async waitForConnection(n = 1, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (this.sockets.size < 1 || this.connections < n) {
      if (Date.now() > end) throw new Error('no long connection from the client');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Pushes a payload as a data frame (type event or card) and resolves with the client's ack. */
  push(payload: unknown, o: { type?: 'event' | 'card'; fragments?: number } = {}): Promise<Ack> {
    const ws = [...this.sockets][0];
    if (!ws) throw new Error('no client connected');
    const messageId = `msg_${++this.#seq}`;
    const bytes = Buffer.from(JSON.stringify(payload));
    const n = o.fragments ?? 1;
    const size = Math.ceil(bytes.length / n);
    const ack = new Promise<Ack>((resolve, reject) => {
      this.#acks.set(messageId, resolve);
      setTimeout(() => reject(new Error(`no ack for ${messageId}`)), 10_000).unref();
    });
    for (let i = 0; i < n; i++) {
      const headers = [
        { key: 'type', value: o.type ?? 'event' },
        { key: 'message_id', value: messageId },
        { key: 'sum', value: String(n) },
        { key: 'seq', value: String(i) },
        { key: 'trace_id', value: `trace-${this.#seq}` },
      ];
      ws.send(Frame.encode(Frame.fromObject({ SeqID: this.#seq, LogID: this.#seq, service: 42, method: 1, headers, payload: bytes.subarray(i * size, (i + 1) * size) })).finish());
    }
    return ack;
  }

  #onFrame(ws: WebSocket, buf: Buffer): void {
    const f = Frame.toObject(Frame.decode(buf), { longs: Number, bytes: Buffer, defaults: true }) as { method: number; service: number; headers: { key: string; value: string }[]; payload: Buffer };
    const h = Object.fromEntries(f.headers.map((x) => [x.key, x.value]));
    if (f.method === 0 && h['type'] === 'ping') {
      this.pings.push(Date.now());
      const pong = Buffer.from(JSON.stringify({ PingInterval: 120, ReconnectCount: -1, ReconnectInterval: 1, ReconnectNonce: 0 }));
      ws.send(Frame.encode(Frame.fromObject({ SeqID: 0, LogID: 0, service: f.service, method: 0, headers: [{ key: 'type', value: 'pong' }], payload: pong })).finish());
      return;
    }
    if (f.method !== 1) return;
    const done = this.#acks.get(h['message_id'] ?? '');
    if (!done) return;
    this.#acks.delete(h['message_id'] ?? '');
    const body = JSON.parse(f.payload.toString('utf8')) as { code: number; data?: string };
    done({ headers: h, code: body.code, ...(body.data ? { data: JSON.parse(Buffer.from(body.data, 'base64').toString('utf8')) as unknown } : {}) });
  }
}
