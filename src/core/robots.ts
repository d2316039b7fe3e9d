import type { Card } from '../../cards/model.js';
import { Secret } from '../config/secret.js';
import type { EnvVars, VarDoc } from '../config/vars.js';
import type { Logger } from '../log.js';
import type { PlatformAdapter, PlatformCaps, SendTarget } from './adapter.js';
import { OpsError } from './errors.js';
import { Outbound, type SharedRate } from './outbound.js';
import { definePlatform, type PlatformDefinition } from './platform.js';

/**
 * Send-only group robots (Feishu 自定义机器人, DingTalk 自定义机器人, WeCom 群机器人): a webhook URL per
 * group, optionally a signing secret, no way to receive messages or clicks. What they share lives here —
 * the `name=URL` / `name=secret` variables, one outbound queue per robot at the platform's pace, the
 * caps (no buttons, no updates: the dispatcher shows `/approve K7QF` and posts each state anew) — and
 * each platform keeps only how a card is signed and posted.
 */
export interface RobotHook {
  name: string;
  /** The full webhook URL: the token in it is a credential, never logged. */
  url: Secret;
  secret?: Secret;
}

export interface RobotConfig {
  hooks: RobotHook[];
}

export interface RobotVars {
  /** e.g. FEISHU_BOT_WEBHOOKS */
  webhooks: string;
  /** e.g. FEISHU_BOT_SECRETS; absent where robots are not signed (WeCom 群机器人). */
  secrets?: string;
  /** The variable with the base for robots given as a bare token (FEISHU_BOT_API_BASE). */
  base: { name: string; fallback: string };
  /** A value (a bare token, joined to `base`, or a URL) → the webhook URL, or undefined when it is neither. */
  toUrl(value: string, base: string): string | undefined;
  /** What a valid value looks like, for the problem line: "a hook token nor an …/hook/<token> URL". */
  expected: string;
  /** A problem with one robot's secret, if the platform can tell (DingTalk's start with SEC). */
  checkSecret?(secret: string): string | undefined;
}

export function readRobotConfig(v: EnvVars, r: RobotVars): RobotConfig | undefined {
  const urls = v.pairs(r.webhooks);
  const secrets = r.secrets ? v.pairs(r.secrets) : new Map<string, string>();
  if (!urls.size) {
    if (secrets.size) v.problem(`${r.secrets}: set ${r.webhooks} too (the robots these secrets sign for)`);
    return undefined;
  }
  const base = v.baseUrl(r.base.name, r.base.fallback);
  const hooks: RobotHook[] = [];
  for (const [name, value] of urls) {
    const url = r.toUrl(value, base);
    // The URL holds the token: never echo it.
    if (!url) v.problem(`${r.webhooks}: "${name}" is neither ${r.expected}`);
    else hooks.push({ name, url: new Secret(url), ...(secrets.has(name) ? { secret: new Secret(secrets.get(name) as string) } : {}) });
  }
  for (const [name, s] of secrets) {
    if (!urls.has(name)) v.problem(`${r.secrets}: "${name}" has no webhook in ${r.webhooks}`);
    else {
      const p = r.checkSecret?.(s);
      if (p) v.problem(`${r.secrets}: the secret of "${name}" ${p}`);
    }
  }
  return hooks.length === urls.size ? { hooks } : undefined;
}

export interface RobotPlatform {
  id: string;
  title: string;
  /** "feishu custom bot": how log lines and errors name one. */
  what: string;
  vars: VarDoc[];
  read: RobotVars;
  maxCardBytes: number;
  /** One post per this many ms per robot (the platform's per-robot limit). */
  intervalMs: number;
  /** Signs (per attempt, so a retry never carries a stale timestamp) and posts one card; throws RetryableError to retry. */
  post(hook: RobotHook, card: Card, o: { signal: AbortSignal; now: number }): Promise<void>;
}

export class RobotAdapter implements PlatformAdapter {
  readonly id: string;
  readonly caps: PlatformCaps;
  readonly #p: RobotPlatform;
  readonly #hooks: Map<string, RobotHook>;
  readonly #outbound: Outbound;
  readonly #now: () => number;
  #seq = 0;

  constructor(p: RobotPlatform, o: { config: RobotConfig; log: Logger; now: () => number; minBackoffMs?: number; rate?: SharedRate }) {
    this.#p = p;
    this.id = p.id;
    this.caps = { ackDeadlineMs: 3000, toast: false, cardUpdate: 'never', buttons: false, maxCardBytes: p.maxCardBytes, singleConnection: false, replyOnce: false };
    this.#hooks = new Map(o.config.hooks.map((h) => [h.name, h]));
    this.#now = o.now;
    // A robot's limit is per webhook, whoever posts: with several replicas it is held in the store.
    this.#outbound = new Outbound({ log: o.log, perKey: { cap: 1, intervalMs: p.intervalMs }, ...(o.minBackoffMs ? { minBackoffMs: o.minBackoffMs } : {}), ...(o.rate ? { shared: o.rate } : {}) });
  }

  get names(): string[] {
    return [...this.#hooks.keys()];
  }

  async send(to: SendTarget, card: Card): Promise<string> {
    const hook = this.#hooks.get(to.chatId);
    if (!hook) throw new OpsError('unknown_target', `no ${this.#p.what} "${to.chatId}" (${this.#p.read.webhooks} has: ${this.names.join(', ')})`);
    await this.#outbound.run(`${this.id}:${hook.name}`, `${this.#p.what} ${hook.name}`, (signal) => this.#p.post(hook, card, { signal, now: this.#now() }));
    return `${hook.name}:${this.#now()}:${++this.#seq}`;
  }

  async update(): Promise<void> {
    throw new Error(`a ${this.#p.what} cannot update a card (caps.cardUpdate is never)`);
  }

  async close(): Promise<void> {
    await this.#outbound.idle();
  }
}

/** The registry entry of a send-only robot platform: no route, no connection. */
export function defineRobotPlatform(p: RobotPlatform): PlatformDefinition<RobotConfig> {
  return definePlatform<RobotConfig>({
    id: p.id,
    title: p.title,
    vars: p.vars,
    howToEnable: `${p.id} is not configured (set ${p.read.webhooks})`,
    readConfig: (v) => readRobotConfig(v, p.read),
    async start(config, deps) {
      const adapter = new RobotAdapter(p, { config, log: deps.log, now: deps.now, ...(deps.backoffMs ? { minBackoffMs: deps.backoffMs } : {}), ...(deps.rate ? { rate: deps.rate } : {}) });
      return {
        adapter,
        http: false,
        routeOff: `${p.id} is send-only: a robot webhook cannot receive messages or clicks`,
        summary: { robots: adapter.names.join(',') },
        close: () => adapter.close(),
      };
    },
  });
}
