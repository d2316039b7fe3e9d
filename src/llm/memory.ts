import type { Store } from '../core/store/store.js';
import { estimateTokens } from './tokens.js';

export interface Turn {
  user: string;
  assistant: string;
  /** The commands the tools ran, so "再看看它的日志" can find "it". */
  tools: string[];
  at: number;
}

/**
 * The last few turns per chat and person, in the store (so replicas and restarts share it), bounded
 * by turns, tokens and an idle time-to-live. `/reset` forgets them.
 */
export class ConversationMemory {
  constructor(
    private readonly store: Store,
    private readonly o: { turns: number; tokens: number; ttlMs: number },
    private readonly now: () => number,
  ) {}

  static key(platform: string, chatId: string, personId: string): string {
    return `memory:${platform}:${chatId}:${personId}`;
  }

  async load(key: string): Promise<Turn[]> {
    if (!this.o.turns) return [];
    return ((await this.store.getKv<{ turns: Turn[] }>(key, this.now()))?.turns ?? []).slice(-this.o.turns);
  }

  async append(key: string, turn: Turn): Promise<void> {
    if (!this.o.turns) return;
    // Atomic against other replicas answering the same person at once: no turn is lost.
    await this.store.updateKv<{ turns: Turn[] }>(
      key,
      (cur) => {
        const turns = [...(cur?.turns ?? []), turn].slice(-this.o.turns);
        // Oldest turns go first when the token budget is exceeded.
        while (turns.length > 1 && turns.reduce((n, t) => n + estimateTokens(t.user + t.assistant + t.tools.join(' ')), 0) > this.o.tokens) turns.shift();
        return { turns };
      },
      this.o.ttlMs,
      this.now(),
    );
  }

  forget(key: string): Promise<boolean> {
    return this.store.deleteKv(key);
  }
}
