import { formatAge } from '../../core/duration.js';
import { summarizePod } from '../pod-status.js';
import type { KEvent, KObject, Pod } from './types.js';

/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), the way the API server
 * answers kubectl: the columns kubectl shows for each resource. Without it kubectl prints only NAME and AGE.
 */
type Col = [name: string, type: 'string' | 'integer', priority?: number];
type Row = (o: KObject, now: number) => (string | number)[];

const age = (o: KObject, now: number) => formatAge(now - Date.parse(o.metadata.creationTimestamp));

const TABLES: Record<string, { cols: Col[]; row: Row }> = {
  pods: {
    cols: [['Name', 'string'], ['Ready', 'string'], ['Status', 'string'], ['Restarts', 'string'], ['Age', 'string'], ['IP', 'string', 1], ['Node', 'string', 1]],
    row: (o, now) => {
      const p = o as Pod;
      const s = summarizePod(p);
      const restarts = s.restarts && s.lastRestartAt ? `${s.restarts} (${formatAge(now - s.lastRestartAt)} ago)` : String(s.restarts);
      return [p.metadata.name, `${s.ready}/${s.total}`, s.status, restarts, age(o, now), p.status.podIP ?? '<none>', p.spec.nodeName ?? '<none>'];
    },
  },
  deployments: {
    cols: [['Name', 'string'], ['Ready', 'string'], ['Up-to-date', 'integer'], ['Available', 'integer'], ['Age', 'string'], ['Containers', 'string', 1], ['Images', 'string', 1]],
    row: (o, now) => {
      const st = (o.status ?? {}) as Record<string, number>;
      const spec = o.spec as { replicas: number; template: { spec: { containers: { name: string; image: string }[] } } };
      const cts = spec.template.spec.containers;
      return [o.metadata.name, `${st['readyReplicas'] ?? 0}/${spec.replicas}`, st['updatedReplicas'] ?? 0, st['availableReplicas'] ?? 0, age(o, now), cts.map((c) => c.name).join(','), cts.map((c) => c.image).join(',')];
    },
  },
  replicasets: {
    cols: [['Name', 'string'], ['Desired', 'integer'], ['Current', 'integer'], ['Ready', 'integer'], ['Age', 'string']],
    row: (o, now) => {
      const st = (o.status ?? {}) as Record<string, number>;
      return [o.metadata.name, (o.spec as { replicas: number }).replicas, st['replicas'] ?? 0, st['readyReplicas'] ?? 0, age(o, now)];
    },
  },
  nodes: {
    cols: [['Name', 'string'], ['Status', 'string'], ['Roles', 'string'], ['Age', 'string'], ['Version', 'string']],
    row: (o, now) => {
      const ready = (o.status?.['conditions'] as { type: string; status: string }[]).find((c) => c.type === 'Ready')?.status === 'True';
      const info = o.status?.['nodeInfo'] as { kubeletVersion: string };
      return [o.metadata.name, ready ? 'Ready' : 'NotReady', '<none>', age(o, now), info.kubeletVersion];
    },
  },
  namespaces: {
    cols: [['Name', 'string'], ['Status', 'string'], ['Age', 'string']],
    row: (o, now) => [o.metadata.name, String(o.status?.['phase'] ?? 'Active'), age(o, now)],
  },
  events: {
    cols: [['Last Seen', 'string'], ['Type', 'string'], ['Reason', 'string'], ['Object', 'string'], ['Message', 'string']],
    row: (o, now) => {
      const e = o as KEvent;
      return [formatAge(now - Date.parse(e.lastTimestamp)), e.type, e.reason, `${e.involvedObject.kind.toLowerCase()}/${e.involvedObject.name}`, e.message];
    },
  },
};

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept);
}

export function toTable(resource: string, items: KObject[], rv: string, now: number, includeObject: string | null): unknown {
  const t = TABLES[resource];
  if (!t) return undefined;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: rv },
    columnDefinitions: t.cols.map(([name, type, priority]) => ({ name, type, format: name === 'Name' ? 'name' : '', description: '', priority: priority ?? 0 })),
    rows: items.map((o) => ({
      cells: t.row(o, now),
      object:
        includeObject === 'None'
          ? undefined
          : includeObject === 'Object'
            ? o
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
