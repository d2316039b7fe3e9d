import type { Policy } from '../../config/policy.js';
import { localToEpoch } from '../time.js';

export interface OnCall {
  /** Everyone on call now: the rotation's current person first, then `alerts.oncall`. */
  people: string[];
  rotation?: { current: string; since: number; next: string; at: number };
}

/** Who is on call at `now`, from the policy's rotation (turns of `every` from `start`) and its fixed list. */
export function onCall(policy: Policy, now: number): OnCall {
  const r = policy.alerts.rotation;
  const fixed = policy.alerts.oncall;
  if (!r) return { people: [...fixed] };
  const start = localToEpoch(r.start, policy.timezone) ?? 0;
  const n = r.people.length;
  const turns = Math.floor((now - start) / r.every);
  const i = ((turns % n) + n) % n;
  const current = r.people[i] as string;
  const since = start + turns * r.every;
  return { people: [current, ...fixed.filter((p) => p !== current)], rotation: { current, since, next: r.people[(i + 1) % n] as string, at: since + r.every } };
}
