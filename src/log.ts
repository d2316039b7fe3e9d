import pino, { type DestinationStream, type Logger } from 'pino';
import { redactUrl, redactUrlsDeep, redactUrlsInText } from './config/url.js';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear. Redact paths cannot see inside strings, so config secrets
 * are also `Secret` objects that print `[redacted]`, and URL strings go through `redactUrl` wherever they are.
 */
export const REDACT_PATHS = [
  'authorization',
  'Authorization',
  'headers.authorization',
  'headers["x-opsbot-token"]',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.secret',
  '*.appSecret',
  '*.clientSecret',
  '*.token',
  '*.accessToken',
  '*.encryptKey',
  '*.aesKey',
  '*.apiKey',
  '*.password',
  '*.signingKey',
  '*.consoleToken',
];

export interface LogOptions {
  level: string;
  format: 'json' | 'pretty';
  /** Where to write; tests capture output here. Defaults to stdout. */
  destination?: DestinationStream;
}

/** pino's error serializer, with URLs in the message and stack (a failed fetch names its URL) redacted. */
function errWithoutSecrets(e: Error): Record<string, unknown> {
  const o = pino.stdSerializers.err(e) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = typeof v === 'string' ? redactUrlsInText(v) : v;
  return out;
}

export function createLogger(opts: LogOptions): Logger {
  const base = {
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: errWithoutSecrets, url: redactUrl },
    // Any other field holding a URL with credentials or a query (baseUrl, apiBase, a config dump).
    formatters: { log: (o: Record<string, unknown>) => redactUrlsDeep(o) },
    base: { app: 'opsbot' },
  };
  if (opts.destination) return pino(base, opts.destination);
  if (opts.format === 'pretty') {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY, translateTime: 'HH:MM:ss', ignore: 'pid,hostname,app' } },
    });
  }
  return pino(base);
}

export { redactUrl } from './config/url.js';

const noop = (): void => {};

/**
 * `log.child(bindings)`, made only when something is logged through it. A pino child runs its bindings
 * through the redactor when made (about 13 KB of garbage each): per request, for a logger most requests
 * never write to, that was a tenth of what a burst of approval clicks allocated. Level checks, and
 * lines below the level, are answered by the parent without making the child.
 */
export function lazyChild(log: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined;
  const real = (): Logger => (child ??= log.child(bindings));
  return new Proxy(log, {
    get(_target, key) {
      if (!child && typeof key === 'string' && Object.hasOwn(log.levels.values, key) && !log.isLevelEnabled(key)) return noop;
      if (!child && (key === 'isLevelEnabled' || key === 'level' || key === 'levelVal')) {
        const v = (log as unknown as Record<PropertyKey, unknown>)[key];
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(log) : v;
      }
      const r = real();
      const v = (r as unknown as Record<PropertyKey, unknown>)[key];
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(r) : v;
    },
    // A write (log.level = 'debug') goes to the child, never to the parent it was made from.
    set(_target, key, value) {
      return Reflect.set(real() as object, key, value);
    },
  });
}
