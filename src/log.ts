import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear. Redact paths cannot see inside strings, so config secrets
 * are also `Secret` objects that print `[redacted]`, and URLs go through `redactUrl`.
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

export function createLogger(opts: LogOptions): Logger {
  const base = {
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err, url: redactUrl },
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

/** Drops the query string (DingTalk robot URLs and WeCom send URLs carry tokens there) and credentials. */
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
