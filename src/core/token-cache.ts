/**
 * A platform access token (Feishu tenant_access_token, DingTalk accessToken, WeCom access_token):
 * cached, refreshed `marginMs` before it expires, with one refresh in flight however many callers
 * ask at once; `invalidate()` when the platform says the token is no longer good.
 */
export class CachedToken {
  #token?: { value: string; refreshAt: number };
  #refreshing?: Promise<string>;

  constructor(
    private readonly fetchToken: () => Promise<{ value: string; expiresInMs: number }>,
    private readonly o: { marginMs: number; now: () => number },
  ) {}

  async get(): Promise<string> {
    if (this.#token && this.o.now() < this.#token.refreshAt) return this.#token.value;
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  invalidate(): void {
    this.#token = undefined;
  }

  async #refresh(): Promise<string> {
    const t = await this.fetchToken();
    // Never cache for less than a minute: a platform answering a tiny expiry would be asked on every call.
    this.#token = { value: t.value, refreshAt: this.o.now() + Math.max(60_000, t.expiresInMs - this.o.marginMs) };
    return t.value;
  }
}
