import { withDeadline } from '../deadline.js';
import { OpsError, UpstreamError } from '../errors.js';
import { parseMatcher } from './matchers.js';

/** One matcher in Alertmanager's API v2 form. */
export interface ApiMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

export interface Silence {
  id: string;
  matchers: ApiMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  status: { state: 'active' | 'pending' | 'expired' };
}

export function toApiMatcher(text: string): ApiMatcher {
  const m = parseMatcher(text);
  return { name: m.name, value: m.value, isRegex: m.op === '=~' || m.op === '!~', isEqual: m.op === '=' || m.op === '=~' };
}

export function matcherText(m: ApiMatcher): string {
  return `${m.name}${m.isEqual ? (m.isRegex ? '=~' : '=') : m.isRegex ? '!~' : '!='}"${m.value.replace(/"/g, '\\"')}"`;
}

/**
 * Alertmanager's API v2 (ALERTMANAGER_URL): silences and alerts. Every call has a timeout; an answer
 * other than 2xx is an UpstreamError with Alertmanager's message.
 */
export class AlertmanagerClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  #call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return withDeadline(this.timeoutMs, signal, (s) => this.#send<T>(method, path, body, s));
  }

  async #send<T>(method: string, path: string, body: unknown, s: AbortSignal): Promise<T> {
    let r: Response;
    try {
      r = await fetch(`${this.baseUrl}/api/v2${path}`, { method, headers: { 'content-type': 'application/json', accept: 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: s });
    } catch (err) {
      throw new UpstreamError(`Alertmanager (${this.baseUrl}) is unreachable: ${(err as Error).message}`);
    }
    const text = await r.text();
    if (!r.ok) throw new UpstreamError(`Alertmanager refused ${method} ${path}: ${r.status} ${text.slice(0, 200)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The alerts Alertmanager holds now (active, suppressed by a silence or an inhibition). */
  async alerts(signal?: AbortSignal): Promise<{ labels: Record<string, string>; status: { state: 'active' | 'suppressed' | 'unprocessed' } }[]> {
    return this.#call('GET', '/alerts', undefined, signal);
  }

  async silences(signal?: AbortSignal): Promise<Silence[]> {
    return this.#call<Silence[]>('GET', '/silences', undefined, signal);
  }

  async createSilence(s: { matchers: ApiMatcher[]; startsAt: string; endsAt: string; createdBy: string; comment: string }, signal?: AbortSignal): Promise<string> {
    const r = await this.#call<{ silenceID?: string }>('POST', '/silences', s, signal);
    if (!r?.silenceID) throw new UpstreamError('Alertmanager created no silence');
    return r.silenceID;
  }

  async expireSilence(id: string, signal?: AbortSignal): Promise<void> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new OpsError('bad_usage', `not a silence id: ${id}`);
    await this.#call('DELETE', `/silence/${id}`, undefined, signal);
  }
}
