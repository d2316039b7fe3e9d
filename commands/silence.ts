import { z } from 'zod';
import { matcherText, toApiMatcher } from '../src/core/alerts/alertmanager.js';
import { defineCommand } from '../src/core/command.js';
import { formatDuration, parseDuration } from '../src/core/duration.js';
import { OpsError, UsageError } from '../src/core/errors.js';
import { msg, t } from '../src/core/i18n.js';
import { dateTime, spansZones } from '../src/core/time.js';

const MAX_MS = 7 * 86_400_000;

/** `a="x y" b=~"c|d"` → the matchers, quotes kept. */
export function splitMatchers(text: string): string[] {
  return text.match(/(?:[^\s"]+|"(?:[^"\\]|\\.)*")+/g) ?? [];
}

export default defineCommand({
  name: 'silence',
  summary: { en: 'Silence alerts in Alertmanager for a while (needs approval)', zh: '在 Alertmanager 中静默告警（需审批）' },
  examples: ['/silence alertname="KubePodCrashLooping" namespace="production" --for 1h', '/silence namespace="staging" --for 30m --comment "load test"'],
  args: z.strictObject({
    matchers: z.string().min(3).max(1000).describe('Label matchers, e.g. alertname="KubePodCrashLooping" namespace="production"'),
    duration: z.string().max(20).optional().describe('How long, e.g. 1h (at most 7d)'),
    comment: z.string().max(300).optional().describe('Why (shown in Alertmanager)'),
  }),
  positionals: ['matchers'],
  rest: 'matchers',
  flags: { duration: ['--for', '-d', '--duration'], comment: ['--comment', '-m'] },
  mutating: { risk: 'low' },
  check(_ctx, a) {
    const ms = splitMatchers(a.matchers);
    if (!ms.length) throw new UsageError(msg('silence.matcher', { m: a.matchers }));
    for (const m of ms) {
      try {
        toApiMatcher(m);
      } catch {
        throw new UsageError(msg('silence.matcher', { m }));
      }
    }
    const d = parseDuration(a.duration ?? '1h');
    if (d === undefined || d < 60_000 || d > MAX_MS) throw new UsageError(msg('arg.duration'));
  },
  async preview(ctx, a) {
    if (!ctx.alertmanager) throw new OpsError('not_configured', msg('silence.off'));
    const ms = splitMatchers(a.matchers).map(toApiMatcher);
    // Reachable now, or the approver would approve something that cannot run.
    await ctx.alertmanager.silences(ctx.signal);
    const d = formatDuration(parseDuration(a.duration ?? '1h') as number);
    return { target: 'alertmanager', change: t('en', 'silence.preview', { matchers: ms.map(matcherText).join(' '), d }), before: null };
  },
  async run(ctx, a) {
    if (!ctx.alertmanager) throw new OpsError('not_configured', msg('silence.off'));
    const matchers = splitMatchers(a.matchers).map(toApiMatcher);
    const now = ctx.now();
    const until = now + (parseDuration(a.duration ?? '1h') as number);
    const id = await ctx.alertmanager.createSilence({ matchers, startsAt: new Date(now).toISOString(), endsAt: new Date(until).toISOString(), createdBy: `${ctx.person.name} (opsbot)`, comment: a.comment ?? `opsbot: silenced by ${ctx.person.name}` }, ctx.signal);
    const text = matchers.map(matcherText).join(' ');
    return { title: t(ctx.lang, 'silence.done', { matchers: text, until: dateTime(until, ctx.policy.timezone, spansZones(ctx.policy)) }), tone: 'success', blocks: [{ type: 'markdown', text: t(ctx.lang, 'silence.doneBody', { id }) }] };
  },
});
