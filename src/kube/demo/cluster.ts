import { createHash, randomUUID } from 'node:crypto';
import type { Deployment, KEvent, KObject, Pod, PodTemplate, ReplicaSet } from './types.js';

export interface DemoTimings {
  /** Controller loop period. */
  tickMs: number;
  /** New pod: Pending (unscheduled) → scheduled. */
  scheduleMs: number;
  /** Scheduled → Running and ready. */
  startMs: number;
  /** Terminating → gone. */
  terminateMs: number;
}

export const DEFAULT_TIMINGS: DemoTimings = { tickMs: 200, scheduleMs: 400, startMs: 1800, terminateMs: 1500 };
const MAX_EVENTS = 2000;

/** Kubernetes' "safe" alphabet for generated names (no vowels, no look-alikes). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function safeSuffix(seed: string, len: number): string {
  const h = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < len; i++) out += ALPHANUMS[(h[i] as number) % ALPHANUMS.length];
  return out;
}

/** The `pod-template-hash` of a template, stable for equal templates (as the deployment controller's). */
export function templateHash(t: PodTemplate): string {
  const { labels, ...meta } = t.metadata;
  const clean = { metadata: { ...meta, labels: Object.fromEntries(Object.entries(labels).filter(([k]) => k !== 'pod-template-hash')) }, spec: t.spec };
  return safeSuffix(canonical(clean), 10);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const key = (o: { metadata: { namespace?: string; name: string } }) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** The demo cluster's state: what etcd would hold. */
export class DemoCluster {
  readonly namespaces = new Map<string, KObject>();
  readonly nodes = new Map<string, KObject>();
  readonly pods = new Map<string, Pod>();
  readonly deployments = new Map<string, Deployment>();
  readonly replicasets = new Map<string, ReplicaSet>();
  readonly poddisruptionbudgets = new Map<string, KObject>();
  readonly events: KEvent[] = [];
  /** Precise times by uid: wire timestamps have whole seconds, too coarse for the simulated kubelet. */
  readonly createdAt = new Map<string, number>();
  readonly deletingSince = new Map<string, number>();
  readonly timings: DemoTimings;
  #rv = 1000;
  #seq = 0;

  constructor(timings: Partial<DemoTimings> = {}, readonly now: () => number = Date.now) {
    this.timings = { ...DEFAULT_TIMINGS, ...timings };
  }

  nextRV(): string {
    return String(++this.#rv);
  }

  get resourceVersion(): string {
    return String(this.#rv);
  }

  /** A fresh ObjectMeta. */
  meta(name: string, namespace: string | undefined, extra: Partial<KObject['metadata']> = {}, createdAt = this.now()): KObject['metadata'] {
    return {
      name,
      ...(namespace ? { namespace } : {}),
      uid: randomUUID(),
      resourceVersion: this.nextRV(),
      creationTimestamp: iso(createdAt),
      ...extra,
    };
  }

  touch<T extends KObject>(o: T): T {
    o.metadata.resourceVersion = this.nextRV();
    return o;
  }

  put<T extends KObject>(map: Map<string, T>, o: T): T {
    map.set(key(o), o);
    return o;
  }

  /** A name for a pod of a ReplicaSet: unique, like the API server's generateName. */
  podName(rsName: string): string {
    for (;;) {
      const name = `${rsName}-${safeSuffix(`${rsName}:${++this.#seq}:${this.now()}`, 5)}`;
      if (!this.pods.has(`${this.#nsOfRs(rsName)}/${name}`)) return name;
    }
  }

  #nsOfRs(rsName: string): string {
    for (const rs of this.replicasets.values()) if (rs.metadata.name === rsName) return rs.metadata.namespace ?? '';
    return '';
  }

  /** Records an event, folding repeats into `count` like the kubelet's event correlator. */
  event(obj: KObject, type: KEvent['type'], reason: string, message: string, component: string, at = this.now()): void {
    const same = this.events.find(
      (e) => e.involvedObject.uid === obj.metadata.uid && e.reason === reason && e.message === message,
    );
    if (same) {
      same.count++;
      same.lastTimestamp = iso(at);
      this.touch(same);
      return;
    }
    const ns = obj.metadata.namespace ?? 'default';
    const name = `${obj.metadata.name}.${(at * 1000 + (++this.#seq % 1000)).toString(16)}`;
    this.events.push({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: this.meta(name, ns, {}, at),
      involvedObject: { kind: obj.kind, name: obj.metadata.name, namespace: ns, uid: obj.metadata.uid, apiVersion: obj.apiVersion },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: iso(at),
      lastTimestamp: iso(at),
      source: { component },
    });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  ownedBy<T extends KObject>(map: Map<string, T>, owner: KObject): T[] {
    const out: T[] = [];
    for (const o of map.values()) if (o.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid)) out.push(o);
    return out;
  }
}

export function iso(ms: number): string {
  // Kubernetes timestamps have second precision.
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
