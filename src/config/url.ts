/**
 * URLs in output: credentials (`user:password@`) and query strings (DingTalk robot tokens, WeCom send
 * keys, `?api-key=` of some LLM gateways) never reach a log line, a problem line or the status page.
 */
export function redactUrl(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    const u = new URL(value);
    u.username = '';
    u.password = '';
    const hadQuery = u.search.length > 0;
    u.search = '';
    return u.toString() + (hadQuery ? '?[redacted]' : '');
  } catch {
    return value.split('?')[0];
  }
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;

/** A sentence with its URLs replaced by `<url>` (chat-facing reasons never show an address). */
export function withoutUrls(text: string): string {
  return text.replace(URL_IN_TEXT, '<url>');
}

/** Every URL inside a sentence ("connect wss://x/?ticket=… failed") redacted, the words kept. */
export function redactUrlsInText(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (m) => (/[?@]/.test(m) ? String(redactUrl(m)) : m));
}

/**
 * Every URL-looking string with credentials or a query, anywhere in a log object (config dumps nest
 * them: `config.llm.baseUrl`), redacted; bounded in depth and size so a log call stays cheap.
 */
export function redactUrlsDeep<T>(value: T, depth = 6): T {
  if (typeof value === 'string') return redactUrlsInText(value) as T;
  if (depth <= 0 || value === null || typeof value !== 'object' || value instanceof Error || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return (value.length > 200 ? value : value.map((v) => redactUrlsDeep(v, depth - 1))) as T;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const r = redactUrlsDeep(v, depth - 1);
    if (r !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = r;
  }
  return (out ?? value) as T;
}
