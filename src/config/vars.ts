import { redactUrl } from './url.js';
import { z } from 'zod';
import { Secret } from './secret.js';

type Env = Readonly<Record<string, string | undefined>>;

/** One environment variable, as README's config table shows it. */
export interface VarDoc {
  name: string;
  /** Shown in the table; omitted for required or unset-by-default variables. */
  default?: string;
  meaning: string;
  /** Holds a credential: from a Kubernetes Secret (never a ConfigMap), never logged. */
  secret?: boolean;
}

export const httpUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL')
  // Node's fetch refuses a URL with credentials ("cannot be constructed from a URL that includes
  // credentials"): refused here with the reason, instead of "unreachable" later.
  .refine((v) => {
    try {
      const u = new URL(v);
      return !u.username && !u.password;
    } catch {
      return true;
    }
  }, 'must not contain user:password@ (HTTP clients refuse credentials in URLs; put the key or token in its own variable)');

/**
 * Reads environment variables for one config module (the core's or a platform's): blank counts as
 * unset, invalid values become one problem line each (never a throw), secrets are wrapped.
 */
export class EnvVars {
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  constructor(readonly env: Env) {}

  get(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  check<T>(name: string, schema: z.ZodType<T>, fallback: T): T {
    const raw = this.get(name);
    if (raw === undefined) return fallback;
    const r = schema.safeParse(raw);
    if (r.success) return r.data;
    this.problems.push(`${name}: ${r.error.issues[0]?.message ?? 'invalid value'} (got "${shorten(String(redactUrl(raw)))}")`);
    return fallback;
  }

  secret(name: string, minLength = 1): Secret | undefined {
    const raw = this.get(name);
    if (raw === undefined) return undefined;
    if (raw.length < minLength) this.problems.push(`${name}: must be at least ${minLength} characters long`);
    return new Secret(raw);
  }

  /** An http(s) base URL, trailing slashes removed. */
  baseUrl(name: string, fallback: string): string {
    const v = this.get(name) ?? fallback;
    const r = httpUrl.safeParse(v);
    if (!r.success) this.problems.push(`${name}: ${r.error.issues[0]?.message ?? 'must be an http(s) URL'} (got "${shorten(String(redactUrl(v)))}")`);
    return v.replace(/\/+$/, '');
  }

  /**
   * `a=1, b=2` → a=1, b=2 (robot webhooks and their secrets): lowercase names; a bad entry or a
   * repeated name is one problem line that never echoes the value (it is often a credential).
   */
  pairs(name: string): Map<string, string> {
    const out = new Map<string, string>();
    const raw = this.get(name);
    if (!raw) return out;
    for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
      const i = part.indexOf('=');
      const key = i > 0 ? part.slice(0, i).trim() : '';
      const value = i > 0 ? part.slice(i + 1).trim() : '';
      if (!PAIR_NAME.test(key) || !value) {
        this.problems.push(`${name}: each entry is name=value with a lowercase name (got "${shorten(part.replace(/=.*/, '=…'))}")`);
        continue;
      }
      if (out.has(key)) this.problems.push(`${name}: "${key}" is given twice`);
      out.set(key, value);
    }
    return out;
  }

  problem(line: string): void {
    this.problems.push(line);
  }

  note(line: string): void {
    this.notes.push(line);
  }
}

const PAIR_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export function shorten(v: string): string {
  return v.length > 60 ? v.slice(0, 57) + '...' : v;
}
