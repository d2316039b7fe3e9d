import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/policy.js';
import { onCall } from '../../src/core/alerts/oncall.js';
import { localToEpoch } from '../../src/core/time.js';

const policy = (rotation: string) =>
  parsePolicy(
    `timezone: Asia/Shanghai
namespaces: { allow: [production], default: production }
roles: { oncall: { commands: ["*"], namespaces: ["*"] } }
people:
  alice: { name: Alice Wang, roles: [oncall], ids: { console: alice } }
  bob: { name: Bob Li, roles: [oncall], ids: { console: bob } }
  carol: { name: Carol Zhang, roles: [oncall], ids: { console: carol } }
approvals: { risk: { low: { steps: [{ role: oncall }] }, medium: { steps: [{ role: oncall }] }, high: { steps: [{ role: oncall }] } } }
alerts:
  oncall: [carol]
${rotation}
`,
    'p.yaml',
    ['help', 'scale', 'restart', 'rollback', 'delete-pod', 'silence', 'unsilence'],
  );

describe('on-call rotation', () => {
  it('weekly turns from a local hand-off time; the fixed list comes after the rotation', () => {
    const r = policy('  rotation: { people: [alice, bob], start: "2026-11-30 10:00" }');
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const p = (r as { policy: Parameters<typeof onCall>[0] }).policy;
    const start = localToEpoch('2026-11-30 10:00', 'Asia/Shanghai')!;
    expect(new Date(start).toISOString()).toBe('2026-11-30T02:00:00.000Z');
    expect(onCall(p, start - 1).people).toEqual(['bob', 'carol']);
    expect(onCall(p, start).people).toEqual(['alice', 'carol']);
    expect(onCall(p, start + 7 * 86_400_000 - 1).rotation).toMatchObject({ current: 'alice', next: 'bob', at: start + 7 * 86_400_000 });
    expect(onCall(p, start + 7 * 86_400_000).people[0]).toBe('bob');
    expect(onCall(p, start + 14 * 86_400_000).people[0]).toBe('alice');
  });

  it('a hand-off across a daylight-saving change keeps the local time', () => {
    const ms = localToEpoch('2026-03-09 09:00', 'America/New_York')!; // the day after DST starts
    expect(new Date(ms).toISOString()).toBe('2026-03-09T13:00:00.000Z');
  });

  it('unknown people in the rotation are refused with their path', () => {
    const r = policy('  rotation: { people: [alice, dave], start: "2026-11-30 10:00" }');
    expect(r.ok).toBe(false);
    expect((r as { problems: string[] }).problems.join('\n')).toContain('alerts.rotation.people: unknown person "dave"');
  });
});
