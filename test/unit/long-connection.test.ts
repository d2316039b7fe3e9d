import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Link, LongConnection, type LongConnectionOptions } from '../../src/core/long-connection.js';
import { until } from '../helpers/until.js';

/**
 * The shared long-connection machinery every long-connection platform uses (Feishu today, DingTalk
 * Stream and WeCom's bot next), against a real local WebSocket server: reconnect with growing backoff,
 * a fresh endpoint per attempt, heartbeats, a silent socket replaced, acks with after-ack hooks, a
 * server-requested reconnect without waiting, and a stop that lets answers in flight finish.
 */
const log = pino({ level: 'silent' });
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function server(): Promise<{ wss: WebSocketServer; url: string; sockets: WebSocket[]; received: string[] }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const sockets: WebSocket[] = [];
  const received: string[] = [];
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (d: Buffer) => received.push(d.toString()));
  });
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  );
  return { wss, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, sockets, received };
}

function conn(o: Partial<LongConnectionOptions> & Pick<LongConnectionOptions, 'endpoint'>): LongConnection {
  const c = new LongConnection({ name: 'test connection', log, onFrame: () => {}, minBackoffMs: 40, maxBackoffMs: 400, ...o });
  cleanup.push(() => c.stop());
  return c;
}

describe('LongConnection', () => {
  it('asks for a fresh endpoint per attempt and backs off more after each failure, then resets once open', async () => {
    const s = await server();
    const asked: number[] = [];
    const c = conn({
      endpoint: async () => {
        asked.push(Date.now());
        if (asked.length <= 4) throw new Error('gateway says no');
        return { url: `${s.url}/?ticket=${asked.length}` };
      },
    });
    c.start();
    await until(() => s.sockets.length === 1, 'the connection');
    expect(asked).toHaveLength(5);
    await until(() => c.status.state === 'open', 'open');
    const gaps = asked.slice(1).map((t, i) => t - asked[i]!);
    // Base 40, 80, 160, 320 ms with jitter in [base/2, base]: each gap at least half its base.
    [40, 80, 160, 320].forEach((base, i) => expect(gaps[i]).toBeGreaterThanOrEqual(base / 2 - 5));
    expect(gaps[3]).toBeGreaterThan(gaps[0]!);
    expect(c.status).toMatchObject({ state: 'open', opened: 1, failures: 4 });

    // Dropped by the server: reconnects quickly (the backoff was reset when the socket opened).
    const before = Date.now();
    s.sockets[0]!.terminate();
    await until(() => s.sockets.length === 2, 'the reconnection');
    expect(Date.now() - before).toBeLessThan(300);
    expect(asked).toHaveLength(6);
    await until(() => c.status.state === 'open', 'open');
    expect(c.status).toMatchObject({ state: 'open', opened: 2, failures: 5 });
  });

  it('sends the platform heartbeat on its interval, and replaces a socket that goes silent', async () => {
    const s = await server();
    const c = conn({ endpoint: async () => ({ url: s.url }), heartbeat: { intervalMs: () => 60, frame: () => '{"cmd":"ping"}' }, idleTimeoutMs: () => 250 });
    c.start();
    await until(() => s.received.filter((m) => m === '{"cmd":"ping"}').length >= 3, 'three pings');
    // The server never answers a ping: after 250 ms of silence the client gives up on this socket.
    await until(() => s.sockets.length === 2, 'a new socket after silence', 2000);
    expect(c.status.failures).toBeGreaterThanOrEqual(1);
  });

  it('answers a frame once the work is done, runs after-ack after it is written, and acks errors as the platform says', async () => {
    const s = await server();
    const order: string[] = [];
    const c = conn({
      endpoint: async () => ({ url: s.url }),
      onFrame: (data, link) => {
        const f = JSON.parse(data.toString()) as { id: string; fail?: boolean };
        void link.answer(
          async () => {
            await new Promise((r) => setTimeout(r, 30));
            if (f.fail) throw new Error('handler broke');
            order.push(`work ${f.id}`);
            return { data: JSON.stringify({ ack: f.id }), afterAck: () => order.push(`after ${f.id}`) };
          },
          () => ({ data: JSON.stringify({ ack: f.id, code: 500 }) }),
        );
      },
    });
    c.start();
    await until(() => s.sockets.length === 1, 'the connection');
    s.sockets[0]!.send(JSON.stringify({ id: 'a' }));
    s.sockets[0]!.send(JSON.stringify({ id: 'b', fail: true }));
    await until(() => s.received.length === 2, 'two acks');
    expect(s.received.map((m) => JSON.parse(m) as unknown)).toEqual([{ ack: 'a' }, { ack: 'b', code: 500 }]);
    await until(() => order.length === 2, 'after-ack');
    expect(order).toEqual(['work a', 'after a']);
  });

  it('reconnects at once when the server asks it to go', async () => {
    const s = await server();
    let link: Link | undefined;
    const c = conn({ endpoint: async () => ({ url: s.url }), minBackoffMs: 5000, onOpen: (l) => (link = l) });
    c.start();
    await until(() => s.sockets.length === 1, 'the connection');
    const first = link!;
    first.reconnect('server disconnect');
    await until(() => s.sockets.length === 2 && link !== first, 'the new connection', 1000);
    expect(link!.generation).toBe(first.generation + 1);
    // The old link is dead: it cannot send on the new socket.
    expect(first.send('late')).toBe(false);
  });

  it('stop() lets an answer in flight reach the server, then closes and stays closed', async () => {
    const s = await server();
    const c = conn({
      endpoint: async () => ({ url: s.url }),
      onFrame: (_d, link) =>
        void link.answer(async () => {
          await new Promise((r) => setTimeout(r, 150));
          return { data: 'done' };
        }),
    });
    c.start();
    await until(() => s.sockets.length === 1, 'the connection');
    const closed = new Promise<number>((r) => s.sockets[0]!.once('close', (code) => r(code)));
    s.sockets[0]!.send('work');
    await new Promise((r) => setTimeout(r, 20));
    await c.stop();
    expect(s.received).toEqual(['done']);
    expect(await closed).toBe(1000);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.sockets).toHaveLength(1);
    expect(c.status.state).toBe('stopped');
  });
});
