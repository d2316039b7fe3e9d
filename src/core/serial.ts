/**
 * Runs work one at a time per key (the updates of one card, the copies of one subject), in the order
 * it was queued; a failure does not stop what comes after. Keys are forgotten once their queue is empty.
 */
export class KeyedSerial {
  readonly #chains = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(key) ?? Promise.resolve();
    const p = prev.then(fn, fn);
    const tail = p.catch(() => undefined);
    this.#chains.set(key, tail);
    void tail.then(() => {
      if (this.#chains.get(key) === tail) this.#chains.delete(key);
    });
    return p;
  }

  get size(): number {
    return this.#chains.size;
  }

  /** Resolves when every queue is empty. */
  async idle(): Promise<void> {
    while (this.#chains.size) await Promise.allSettled([...this.#chains.values()]);
  }
}
