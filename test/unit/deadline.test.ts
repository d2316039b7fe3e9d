import { describe, expect, it } from 'vitest';
import { withDeadline } from '../../src/core/deadline.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
// Like fetch: an aborted signal rejects at once, else on abort.
const waitAbort = (s: AbortSignal) => new Promise<unknown>((_, reject) => (s.aborted ? reject(s.reason) : s.addEventListener('abort', () => reject(s.reason), { once: true })));

describe('withDeadline', () => {
  it('aborts the work with a TimeoutError when the bound passes', async () => {
    const err = await withDeadline(30, undefined, waitAbort).catch((e: unknown) => e);
    expect((err as DOMException).name).toBe('TimeoutError');
  });

  it('aborts with the parent signal’s reason when the parent aborts first, or at once when it already has', async () => {
    const parent = new AbortController();
    setTimeout(() => parent.abort(new Error('the person cancelled')), 10);
    await expect(withDeadline(10_000, parent.signal, waitAbort)).rejects.toThrow('the person cancelled');
    const done = new AbortController();
    done.abort(new Error('already'));
    await expect(withDeadline(10_000, done.signal, waitAbort)).rejects.toThrow('already');
  });

  it('lets go of its timer and its listener on the parent once the work settles', async () => {
    const parent = new AbortController();
    const before = timers();
    expect(await withDeadline(60_000, parent.signal, async () => 'ok')).toBe('ok');
    await expect(withDeadline(60_000, parent.signal, async () => Promise.reject(new Error('failed')))).rejects.toThrow('failed');
    expect(timers()).toBe(before);
    // A later abort of the parent reaches nothing of the finished calls.
    let seen = 0;
    await withDeadline(60_000, parent.signal, async (s) => void s.addEventListener('abort', () => seen++));
    parent.abort();
    expect(seen).toBe(0);
  });
});
