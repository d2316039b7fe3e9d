import type { Level } from '../../config/policy.js';

/** One alert of a group, as last reported (labels kept small: the group's common labels are apart). */
export interface AlertState {
  status: 'firing' | 'resolved';
  startsAt: number;
  endsAt?: number;
  /** The labels that differ from the group's common ones (pod, instance…). */
  labels: Record<string, string>;
  summary?: string;
}

/** An Alertmanager alert group as opsbot tracks it: one card per group and target. */
export interface AlertGroup {
  /** Short id, from the group key: what buttons and /alerts name. */
  id: string;
  groupKey: string;
  receiver: string;
  status: 'firing' | 'resolved';
  level: Level;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** By fingerprint, at most MAX_ALERTS of them; `count` has them all. */
  alerts: Record<string, AlertState>;
  count: { firing: number; total: number };
  externalURL?: string;
  firstAt: number;
  updatedAt: number;
  resolvedAt?: number;
  ack?: { personId: string; name: string; at: number };
  /** The notify targets it was routed to. */
  targets: string[];
  /** Who is rung, in order, while it stays un-acked (the routes' `escalate` lists). */
  escalate: string[];
  /** When opsbot first posted it (escalation counts from here). */
  notifiedAt?: number;
  escalations: { at: number; personId: string; name: string; urgent?: string }[];
  rev: number;
}
