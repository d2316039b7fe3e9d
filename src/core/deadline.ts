/**
 * Runs `fn` with a signal that aborts after `ms` (reason: a `TimeoutError`, as AbortSignal.timeout's) or
 * when `parent` aborts (with its reason), and lets go of the timer and the listener when `fn` settles.
 * AbortSignal.timeout + AbortSignal.any cost ~18 µs a call and kept a timer and weak references alive
 * for the whole bound after every call — per Kubernetes API call and per outbound send, that added up.
 */
export async function withDeadline<T>(ms: number, parent: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new DOMException('The operation timed out.', 'TimeoutError')), ms);
  const cancel = () => ac.abort(parent?.reason);
  if (parent?.aborted) cancel();
  else parent?.addEventListener('abort', cancel, { once: true });
  try {
    return await fn(ac.signal);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', cancel);
  }
}
