import { msg, t } from '../src/core/i18n.js';
import { z } from 'zod';
import { LIMITS, tailToBytes } from '../cards/limits.js';
import type { Card } from '../cards/model.js';
import { defineCommand, nsOf } from '../src/core/command.js';
import { formatDuration, parseDuration } from '../src/core/duration.js';
import { UsageError } from '../src/core/errors.js';
import { dnsLabel, dnsSubdomain } from '../src/core/names.js';
import { assertContainer, defaultContainer, resolvePod } from '../src/kube/resolve.js';

const ERROR_LINE = /\b(ERROR|FATAL|panic:|Traceback)\b|\b\w+(Exception|Error):|"level":"(error|fatal)"/;

export default defineCommand({
  name: 'logs',
  aliases: ['log'],
  summary: { en: 'Show the last lines of a pod log', zh: '查看 Pod 最近日志' },
  examples: ['/logs order-service-546bjxrdr2-dprhd -n production', '/logs api-gateway --tail 100 -c log-agent', '/logs order-service --previous --since 30m'],
  args: z.strictObject({
    pod: dnsSubdomain.describe('Pod name, or a deployment name to pick one of its pods'),
    namespace: dnsLabel.optional().describe('Namespace'),
    container: dnsLabel.optional().describe('Container (default: the main one)'),
    tail: z.number().int().min(1).optional().describe('How many lines (default 50)'),
    since: z
      .string()
      .refine((v) => parseDuration(v) !== undefined && (parseDuration(v) as number) >= 1000, t('en', 'arg.duration'))
      .optional()
      .describe('Only lines newer than this, e.g. 10m'),
    previous: z.boolean().optional().describe('The log of the previous (crashed) container'),
  }),
  positionals: ['pod'],
  flags: { namespace: ['-n', '--namespace'], container: ['-c', '--container'], tail: ['--tail'], since: ['--since'], previous: ['-p', '--previous'] },
  kube: ['listPods', 'readPod', 'readPodLog'],
  mutating: false,
  check(ctx, a) {
    const max = ctx.policy.limits.logTail;
    if (a.tail !== undefined && a.tail > max) throw new UsageError(msg('arg.tailMax', { max }));
  },
  async run(ctx, a) {
    const ns = nsOf(ctx, a);
    const { pod, note } = await resolvePod(ctx.kube, ns, a.pod, ctx.signal);
    const name = pod.metadata?.name as string;
    const container = a.container ?? defaultContainer(pod);
    if (container) assertContainer(pod, container);
    const tail = a.tail ?? 50;
    const sinceMs = a.since ? (parseDuration(a.since) as number) : undefined;
    const text = await ctx.kube.readPodLog(
      ns,
      name,
      { ...(container ? { container } : {}), tailLines: tail, ...(sinceMs ? { sinceSeconds: Math.ceil(sinceMs / 1000) } : {}), ...(a.previous ? { previous: true } : {}) },
      { signal: ctx.signal },
    );
    const lines = text.replace(/\n$/, '').split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
    const restarts = pod.status?.containerStatuses?.find((c) => c.name === container)?.restartCount ?? 0;
    const L = ctx.lang;
    const title = t(L, 'logs.title', { pod: `${ns}/${name}` }) + (container && (pod.spec?.containers.length ?? 1) > 1 ? ` (${container})` : '') + (a.previous ? ` · ${t(L, 'logs.previous')}` : '');
    if (!lines.length || (lines.length === 1 && lines[0] === '')) {
      return { title, tone: 'info', blocks: [{ type: 'markdown', text: a.since ? t(L, 'logs.noneSince', { d: formatDuration(sinceMs as number) }) : t(L, 'logs.empty') }] };
    }
    const cut = tailToBytes(lines, LIMITS.codeBytes, LIMITS.codeLineChars);
    const errors = lines.filter((l) => ERROR_LINE.test(l)).length;
    const shown = lines.length - cut.omittedLines;
    const footer = [
      cut.omittedLines ? t(L, 'logs.cut', { shown, n: lines.length }) : t(L, 'logs.last', { n: shown }),
      a.since ? t(L, 'logs.since', { since: a.since }) : '',
      note?.[L] ?? '',
      restarts > 0 && !a.previous ? t(L, 'logs.restarted', { n: restarts }) : '',
    ].filter(Boolean);
    const card: Card = {
      title,
      tone: errors ? 'warning' : 'info',
      blocks: [
        ...(errors ? [{ type: 'markdown' as const, text: t(L, 'logs.errors', { n: errors }) }] : []),
        { type: 'code', text: cut.text, ...(cut.omittedLines ? { omittedLines: cut.omittedLines } : {}) },
      ],
      footer: footer.join(' · '),
    };
    return card;
  },
});
