import { describe, expect, it } from 'vitest';
import { CachedToken } from '../../src/core/token-cache.js';

describe('CachedToken (one place for every platform access token)', () => {
  it('shares one refresh among concurrent callers, refreshes before expiry, refetches after invalidate or a failure', async () => {
    let now = 1_000_000;
    let calls = 0;
    let fail = false;
    const t = new CachedToken(
      async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 10));
        if (fail) throw new Error('refused');
        return { value: `tok-${calls}`, expiresInMs: 7200_000 };
      },
      { marginMs: 300_000, now: () => now },
    );
    expect(await Promise.all([t.get(), t.get(), t.get()])).toEqual(['tok-1', 'tok-1', 'tok-1']);
    expect(calls).toBe(1);
    now += 7200_000 - 300_001; // just inside the margin: still cached
    expect(await t.get()).toBe('tok-1');
    now += 2; // past it: refreshed early, before the platform would refuse it
    expect(await t.get()).toBe('tok-2');
    t.invalidate();
    expect(await t.get()).toBe('tok-3');
    t.invalidate();
    fail = true;
    await expect(t.get()).rejects.toThrow('refused');
    fail = false;
    expect(await t.get()).toBe('tok-5');
  });
});
