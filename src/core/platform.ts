import type { EnvVars, VarDoc } from '../config/vars.js';
import type { Bus } from './bus.js';
import type { Logger } from '../log.js';
import type { EventSink, PlatformAdapter } from './adapter.js';
import type { ConnectionStatus } from './long-connection.js';
import type { SharedRate } from './outbound.js';
import type { Images } from './images.js';
import type { Store } from './store/store.js';

/** What the composition root gives a platform when it starts it. */
export interface PlatformDeps {
  log: Logger;
  now: () => number;
  store: Store;
  /** First retry / reconnect delay of the platform's clients (tests shorten it). */
  backoffMs?: number;
  /** With a shared store (Redis): the platform's send limits hold across replicas. Pass it to Outbound as `shared`. */
  rate?: SharedRate;
  /**
   * Messages between the replicas (Redis pub/sub with a shared store): a platform that allows one
   * connection per bot hands sends from the other replicas to the one that holds it (`bus.serve` there,
   * `bus.request` here).
   */
  bus?: Bus;
  /** The images cards show (charts), by reference, for platforms that upload them (Feishu). */
  images?: Images;
}

/** A started platform: its adapter, and how events reach it. */
export interface StartedPlatform {
  adapter: PlatformAdapter;
  /** Does the webhook route take its callbacks? When false, `routeOff` says why (shown on 404). */
  http: boolean;
  routeOff?: string;
  /** Starts the long connection, if this platform runs over one; events go to `sink`. */
  connect?(sink: EventSink): void;
  /** A few facts for the startup line (mode, API base): never secrets. */
  summary: Record<string, string>;
  /** The long connection's state, where the platform runs over one (the console's status page). */
  connection?(): ConnectionStatus | undefined;
  close(): Promise<void>;
}

/**
 * One chat platform, as one folder exports it (design.md §2 `definePlatform`). The composition root,
 * the config module and the policy loop over a list of these; none of them names a platform.
 */
export interface PlatformDefinition<C = unknown> {
  /** The route segment (/webhooks/<id>) and the key under a person's `ids` in the policy. */
  id: string;
  /** For people: "Feishu / Lark (飞书)". */
  title: string;
  /** Every variable the platform reads, for README's config table and typo hints. */
  vars: VarDoc[];
  /** What to set to turn it on (the 404 text and the startup line while it is off). */
  howToEnable: string;
  /** Reads its variables; undefined when none is set (the platform is off). Problems go to `vars`. */
  readConfig(vars: EnvVars): C | undefined;
  start(config: C, deps: PlatformDeps): Promise<StartedPlatform>;
}

export function definePlatform<C>(d: PlatformDefinition<C>): PlatformDefinition<C> {
  if (!/^[a-z][a-z0-9-]{1,30}$/.test(d.id)) throw new Error(`platform id "${d.id}" must be lowercase letters, digits and -`);
  return d;
}
