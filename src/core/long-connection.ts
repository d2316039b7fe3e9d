import WebSocket from 'ws';
import type { Logger } from '../log.js';

/** What goes back for one frame: the bytes of the ack, and what to do once they are on the wire. */
export interface Ack {
  data: Uint8Array | string;
  afterAck?: () => void;
}

/** The live socket as the platform's framing sees it. */
export interface Link {
  /** Increases by one per (re)connection; lets framing drop state from an earlier socket. */
  readonly generation: number;
  /** Sends if the socket is open; false when it is not (the frame is dropped, nothing queues). */
  send(data: Uint8Array | string, cb?: (err?: Error) => void): boolean;
  /**
   * The bookkeeping every platform's ack needs, in one place: run the work for one frame, send its ack
   * when done (or `onError`'s ack if it threw — logged here), then `afterAck`. In-flight answers are
   * counted, so `stop()` lets them finish before it closes.
   */
  answer(work: (startedAt: number) => Promise<Ack | undefined>, onError?: (err: Error, startedAt: number) => Ack | undefined): Promise<void>;
  /** The server asked us to go (DingTalk SYSTEM disconnect, WeCom disconnected_event): reconnect now. */
  reconnect(reason: string): void;
}

export interface Heartbeat {
  /** Read before each beat: servers may change it (Feishu's pong carries PingInterval). */
  intervalMs: () => number;
  /** The platform's ping frame; omit for a WebSocket protocol ping. */
  frame?: () => Uint8Array | string;
  /** First beat when the socket opens (default) or one interval later (after a subscribe, say). */
  immediate?: boolean;
}

export interface LongConnectionOptions {
  /** For log lines: "feishu long connection". */
  name: string;
  log: Logger;
  /** Where to connect, asked afresh before every attempt (tickets and endpoints are single-use). */
  endpoint(): Promise<{ url: string; headers?: Record<string, string> }>;
  /** The platform's framing: one call per frame received. */
  onFrame(data: Buffer, link: Link): void | Promise<void>;
  /** Runs when the socket opens (a subscribe frame, say). */
  onOpen?(link: Link): void;
  heartbeat?: Heartbeat;
  /**
   * Nothing received for this long means a half-open socket: close it and reconnect. Default: three
   * heartbeat intervals (or off without a heartbeat).
   */
  idleTimeoutMs?: () => number;
  /** First reconnect delay; doubles per failed attempt up to maxBackoffMs, with jitter. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  maxPayload?: number;
  handshakeTimeoutMs?: number;
  /** How long stop() waits for answers in flight. */
  drainMs?: number;
}

const noop = (): void => {};

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'waiting' | 'stopped';

/** A snapshot for the startup line and health checks. */
export interface ConnectionStatus {
  state: ConnectionState;
  /** Connections opened since start. */
  opened: number;
  /** Failed or dropped connections since start. */
  failures: number;
  lastFrameAt?: number;
  lastError?: string;
  /** When it entered the current state (ms). */
  since: number;
}

/**
 * Reconnect, backoff, heartbeat, idle detection and ack bookkeeping for every platform that receives
 * over a long connection (Feishu 长连接, DingTalk Stream, WeCom 智能机器人 long connection): each keeps
 * only its framing (how to get an endpoint, decode a frame, build its ack). Backoff is exponential with
 * full-half jitter and resets once a connection opens; a server-requested reconnect skips the wait.
 */
export class LongConnection {
  readonly #o: LongConnectionOptions & Required<Pick<LongConnectionOptions, 'minBackoffMs' | 'maxBackoffMs' | 'maxPayload' | 'handshakeTimeoutMs' | 'drainMs'>>;
  #ws?: WebSocket;
  #state: ConnectionState = 'idle';
  #since = Date.now();
  #attempt = 0;
  #generation = 0;
  #opened = 0;
  #failures = 0;
  #lastFrameAt?: number;
  #lastError?: string;
  #beat?: NodeJS.Timeout;
  #idle?: NodeJS.Timeout;
  #retry?: NodeJS.Timeout;
  readonly #inflight = new Set<Promise<void>>();
  readonly #corked = new WeakSet<WebSocket>();

  constructor(o: LongConnectionOptions) {
    this.#o = { minBackoffMs: 1000, maxBackoffMs: 60_000, maxPayload: 4 * 1024 * 1024, handshakeTimeoutMs: 15_000, drainMs: 5000, ...o };
  }

  /**
   * A state change, with when it happened (the status page shows "up since …", "down since …"): retries
   * while down (waiting ↔ connecting) keep the time the connection went down.
   */
  #to(state: ConnectionState): void {
    const down = (s: ConnectionState) => s === 'waiting' || s === 'connecting';
    if (this.#state !== state && !(down(this.#state) && down(state))) this.#since = Date.now();
    this.#state = state;
  }

  get status(): ConnectionStatus {
    return {
      state: this.#state,
      since: this.#since,
      opened: this.#opened,
      failures: this.#failures,
      ...(this.#lastFrameAt !== undefined ? { lastFrameAt: this.#lastFrameAt } : {}),
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    };
  }

  start(): void {
    if (this.#state !== 'idle') return;
    void this.#connect();
  }

  /** Lets answers in flight finish (up to drainMs), then closes; no reconnect after this. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#to('stopped');
    clearTimeout(this.#retry);
    this.#clearTimers();
    if (this.#inflight.size) {
      const drained = Promise.allSettled([...this.#inflight]);
      await Promise.race([drained, new Promise((r) => setTimeout(r, this.#o.drainMs).unref())]);
    }
    const ws = this.#ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      await new Promise<void>((r) => {
        ws.once('close', () => r());
        ws.close(1000, 'shutting down');
        setTimeout(r, 1000).unref();
      });
    }
    ws?.terminate();
  }

  async #connect(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#to('connecting');
    let target: { url: string; headers?: Record<string, string> };
    try {
      target = await this.#o.endpoint();
    } catch (err) {
      return this.#failed(`cannot get an endpoint: ${(err as Error).message}`);
    }
    if ((this.#state as ConnectionState) === 'stopped') return;
    const generation = ++this.#generation;
    const ws = new WebSocket(target.url, { handshakeTimeout: this.#o.handshakeTimeoutMs, maxPayload: this.#o.maxPayload, ...(target.headers ? { headers: target.headers } : {}) });
    this.#ws = ws;
    const link = this.#link(ws, generation);
    let closed = false;
    ws.on('open', () => {
      if (this.#state === 'stopped') return void ws.terminate();
      this.#to('open');
      this.#attempt = 0;
      this.#opened++;
      this.#o.log.info(`${this.#o.name} open`);
      this.#touch(ws);
      this.#heartbeat(ws);
      try {
        this.#o.onOpen?.(link);
      } catch (err) {
        this.#o.log.error({ err }, `${this.#o.name}: open handler failed`);
      }
    });
    ws.on('message', (data: Buffer) => {
      this.#lastFrameAt = Date.now();
      this.#touch(ws);
      try {
        const r = this.#o.onFrame(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), link);
        if (r) r.catch((err: unknown) => this.#o.log.error({ err }, `${this.#o.name}: frame handling failed`));
      } catch (err) {
        this.#o.log.error({ err }, `${this.#o.name}: frame handling failed`);
      }
    });
    ws.on('pong', () => this.#touch(ws));
    ws.on('error', (err) => {
      this.#lastError = err.message;
      this.#o.log.warn({ reason: err.message }, `${this.#o.name} error`);
    });
    ws.on('close', (code, reason) => {
      if (closed) return;
      closed = true;
      if (this.#ws !== ws) return;
      this.#clearTimers();
      if (this.#state === 'stopped') return;
      this.#failed(`closed (code ${code}${reason.length ? `: ${reason.toString('utf8').slice(0, 120)}` : ''})`);
    });
  }

  #link(ws: WebSocket, generation: number): Link {
    return {
      generation,
      send: (data, cb) => {
        if (ws.readyState !== WebSocket.OPEN) return false;
        this.#write(ws, data, cb ?? noop);
        return true;
      },
      answer: (work, onError) => {
        const startedAt = Date.now();
        const p = (async () => {
          let ack: Ack | undefined;
          try {
            ack = await work(startedAt);
          } catch (err) {
            this.#o.log.error({ err }, `${this.#o.name}: frame handling failed`);
            ack = onError?.(err as Error, startedAt);
          }
          if (!ack) return;
          const after = ack.afterAck;
          if (ws.readyState === WebSocket.OPEN) {
            await new Promise<void>((r) =>
              this.#write(ws, ack.data, () => {
                r();
                after?.();
              }),
            );
          } else {
            this.#o.log.warn(`${this.#o.name}: the socket closed before an ack could be sent; the platform will redeliver`);
            after?.();
          }
        })();
        this.#inflight.add(p);
        void p.finally(() => this.#inflight.delete(p));
        return p;
      },
      reconnect: (reason) => {
        if (this.#ws !== ws || this.#state === 'stopped') return;
        this.#o.log.info({ reason }, `${this.#o.name}: reconnecting at the server's request`);
        this.#clearTimers();
        this.#ws = undefined;
        ws.close(1000, 'reconnecting');
        setTimeout(() => ws.terminate(), 1000).unref();
        this.#attempt = 0;
        void this.#connect();
      },
    };
  }

  /**
   * Acks finished in the same tick leave in one write: the socket is corked until the end of the tick
   * (frames stay separate WebSocket messages). One syscall per ack was most of the CPU per frame.
   */
  #write(ws: WebSocket, data: Uint8Array | string, cb: () => void): void {
    const socket = (ws as unknown as { _socket?: { cork(): void; uncork(): void; writableCorked?: number } })._socket;
    if (socket && !this.#corked.has(ws)) {
      this.#corked.add(ws);
      socket.cork();
      process.nextTick(() => {
        this.#corked.delete(ws);
        socket.uncork();
      });
    }
    ws.send(data, cb);
  }

  #failed(reason: string): void {
    if (this.#state === 'stopped') return;
    this.#failures++;
    this.#lastError = reason;
    this.#to('waiting');
    const base = Math.min(this.#o.maxBackoffMs, this.#o.minBackoffMs * 2 ** this.#attempt++);
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.#o.log.warn({ reason, retryInMs: delay }, `${this.#o.name} down; reconnecting`);
    this.#retry = setTimeout(() => void this.#connect(), delay);
    this.#retry.unref();
  }

  #heartbeat(ws: WebSocket): void {
    const hb = this.#o.heartbeat;
    if (!hb) return;
    const beat = () => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (hb.frame) ws.send(hb.frame());
      else ws.ping();
      this.#beat = setTimeout(beat, hb.intervalMs());
      this.#beat.unref();
    };
    if (hb.immediate === false) {
      this.#beat = setTimeout(beat, hb.intervalMs());
      this.#beat.unref();
    } else beat();
  }

  /** Restarts the idle watchdog: a socket that goes silent is presumed dead and replaced. */
  #touch(ws: WebSocket): void {
    const ms = this.#o.idleTimeoutMs?.() ?? (this.#o.heartbeat ? 3 * this.#o.heartbeat.intervalMs() : 0);
    if (!ms) return;
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      if (this.#ws !== ws) return;
      this.#o.log.warn({ silentMs: ms }, `${this.#o.name}: nothing received; presuming the socket dead`);
      ws.terminate();
    }, ms);
    this.#idle.unref();
  }

  #clearTimers(): void {
    clearTimeout(this.#beat);
    clearTimeout(this.#idle);
  }
}
