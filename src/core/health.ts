/** What one platform did since start: events in, cards out, the last failure to send. */
export interface PlatformActivity {
  events: number;
  lastEventAt?: number;
  sends: number;
  lastSendAt?: number;
  sendErrors: number;
  lastSendError?: { at: number; reason: string };
}

/**
 * Per-platform activity, recorded by the dispatcher (the one place every event and every card
 * passes): the console's status page shows it beside each transport's own state.
 */
export class PlatformStats {
  readonly #by = new Map<string, PlatformActivity>();

  constructor(private readonly now: () => number) {}

  #of(platform: string): PlatformActivity {
    let a = this.#by.get(platform);
    if (!a) this.#by.set(platform, (a = { events: 0, sends: 0, sendErrors: 0 }));
    return a;
  }

  event(platform: string): void {
    const a = this.#of(platform);
    a.events++;
    a.lastEventAt = this.now();
  }

  /** Runs one send or update of a card, recording how it went; the error is rethrown. */
  async send<T>(platform: string, f: () => Promise<T>): Promise<T> {
    const a = this.#of(platform);
    try {
      const r = await f();
      a.sends++;
      a.lastSendAt = this.now();
      return r;
    } catch (err) {
      a.sendErrors++;
      a.lastSendError = { at: this.now(), reason: ((err as { userMessage?: string }).userMessage ?? (err as Error)?.message ?? String(err)).slice(0, 300) };
      throw err;
    }
  }

  get(platform: string): PlatformActivity {
    return { ...this.#of(platform) };
  }
}
