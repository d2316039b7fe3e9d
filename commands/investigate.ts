import { z } from 'zod';
import { LIMITS, tailToBytes } from '../cards/limits.js';
import type { Block } from '../cards/model.js';
import { table } from '../cards/util.js';
import { defineCommand, nsOf } from '../src/core/command.js';
import { formatAge } from '../src/core/duration.js';
import { t } from '../src/core/i18n.js';
import { dnsLabel, dnsSubdomain } from '../src/core/names.js';
import { summarizePod } from '../src/kube/pod-status.js';
import { defaultContainer, resolvePod } from '../src/kube/resolve.js';
import { time } from './describe.js';

/**
 * What an on-call engineer runs first for a workload, in one card: the most troubled pod's state and
 * last termination, the namespace's recent warnings about it, and its last log lines (the crashed
 * container's when it restarted); with an LLM configured, the model's short guess from exactly those
 * lines, marked as a guess, quoting the lines it used. Read-only; the alert card's Investigate button runs it.
 */
export default defineCommand({
  name: 'investigate',
  aliases: ['why'],
  summary: { en: 'A workload at a glance: troubled pod, its warnings, its last log lines', zh: '排查工作负载：异常 Pod、相关告警事件、最近日志' },
  examples: ['/investigate order-service -n production'],
  args: z.strictObject({
    workload: dnsSubdomain.describe('Pod name, or a deployment name to pick one of its pods'),
    namespace: dnsLabel.optional().describe('Namespace'),
  }),
  positionals: ['workload'],
  flags: { namespace: ['-n', '--namespace'] },
  kube: ['listPods', 'readPod', 'readPodLog', 'listEvents'],
  mutating: false,
  async run(ctx, a) {
    const L = ctx.lang;
    const ns = nsOf(ctx, a);
    const now = ctx.now();
    const { pod } = await resolvePod(ctx.kube, ns, a.workload, ctx.signal);
    const name = pod.metadata?.name as string;
    const s = summarizePod(pod);
    const container = defaultContainer(pod);
    const [events, log] = await Promise.all([
      ctx.kube.listEvents(ns, undefined, { signal: ctx.signal }),
      ctx.kube.readPodLog(ns, name, { ...(container ? { container } : {}), tailLines: 20, ...(s.restarts > 0 ? { previous: true } : {}) }, { signal: ctx.signal }).catch(() => ''),
    ]);
    const mine = events
      .filter((e) => e.type === 'Warning' && (e.involvedObject.name ?? '').startsWith(a.workload))
      .sort((x, y) => time(y) - time(x))
      .slice(0, 5);
    const blocks: Block[] = [
      {
        type: 'fields',
        items: [
          { label: 'Pod', value: name },
          { label: 'Status', value: s.status + (s.lastTerminationReason ? ` (${s.lastTerminationReason})` : '') },
          { label: 'Restarts', value: String(s.restarts) },
        ],
      },
    ];
    if (mine.length) blocks.push(table(['Age', 'Reason', 'Message'], mine.map((e) => [formatAge(now - time(e)), e.reason ?? '', e.message ?? '']), { keepFirstColumn: false }));
    else blocks.push({ type: 'markdown', text: t(L, 'investigate.noWarnings') });
    const lines = log.replace(/\n$/, '').split('\n').filter(Boolean);
    if (lines.length) {
      const cut = tailToBytes(lines, Math.floor(LIMITS.codeBytes / 2), LIMITS.codeLineChars);
      blocks.push({ type: 'code', text: cut.text, ...(cut.omittedLines ? { omittedLines: cut.omittedLines } : {}) });
    }
    if (ctx.diagnose) {
      // The same facts as the card, as numbered lines: the model cites them, the card quotes ours.
      const evidence = [
        `pod ${name}: ${s.status}${s.lastTerminationReason ? `, last terminated: ${s.lastTerminationReason}` : ''}, restarts ${s.restarts}`,
        ...mine.map((e) => `warning event ${formatAge(now - time(e))} ago: ${e.reason ?? ''}: ${e.message ?? ''}`),
        ...lines.slice(-20).map((l) => `log${s.restarts > 0 ? ' (crashed container)' : ''}: ${l}`),
      ];
      const d = await ctx.diagnose(`${ns}/${a.workload}`, evidence);
      if (d.ok) {
        blocks.push({ type: 'divider' }, { type: 'markdown', text: `${t(L, 'investigate.guess', { s: d.seconds.toFixed(1) })}\n${d.text}` });
        if (d.cited.length) blocks.push({ type: 'markdown', text: t(L, 'investigate.basedOn') }, { type: 'code', text: d.cited.join('\n') });
        else blocks.push({ type: 'markdown', text: t(L, 'investigate.citedNone') });
      } else blocks.push({ type: 'divider' }, { type: 'markdown', text: t(L, 'investigate.noGuess', { reason: d.reason }) });
    }
    return {
      title: t(L, 'investigate.title', { target: `${ns}/${a.workload}` }),
      tone: s.health === 'failing' ? 'danger' : mine.length ? 'warning' : 'info',
      blocks,
      footer: s.restarts > 0 ? t(L, 'investigate.previous') : t(L, 'investigate.current'),
    };
  },
});
