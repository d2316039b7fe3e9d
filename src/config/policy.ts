import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { matcherProblem } from '../core/alerts/matchers.js';
import { Cron } from 'croner';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { dnsLabel } from '../core/names.js';
import { platformIds } from '../platforms/index.js';

/**
 * The policy file: who the people are on each platform, what each role may run where, the bounds of
 * mutating commands, and how approvals work. Loaded once at startup; any problem stops the bot with
 * the YAML path of the offending value.
 */
export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type Risk = (typeof RISK_LEVELS)[number];
/** A chat platform's id: `console` or one of the registered platforms (src/platforms/index.ts). */
export type PlatformId = string;

const duration = z.string().transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `not a duration: "${v}" (use e.g. 30s, 10m, 1h)` });
    return z.NEVER;
  }
  return ms;
});
/** Named queries when the policy has none: what cAdvisor and kube-state-metrics expose. */
const DEFAULT_QUERIES = {
  cpu: { promql: 'topk(10, sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!="", namespace=~"$namespace"}[5m])))', description: 'CPU used, cores', unit: 'cores' as const },
  memory: { promql: 'topk(10, sum by (namespace, pod) (container_memory_working_set_bytes{container!="", namespace=~"$namespace"}))', description: 'memory in use (working set)', unit: 'bytes' as const },
  restarts: { promql: 'topk(10, sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{namespace=~"$namespace"}[1h])))', description: 'container restarts in the last hour', unit: 'count' as const },
};

/** A cron expression (5 fields, or 6 with seconds), as croner reads it. */
const cronText = z.string().refine((v) => {
  try {
    new Cron(v, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}, 'not a cron expression (minute hour day-of-month month day-of-week, e.g. "0 8 * * *")');
const nsPattern = z.union([z.literal('*'), dnsLabel]);
export const LEVELS = ['P0', 'P1', 'P2', 'P3'] as const;
export type Level = (typeof LEVELS)[number];
const name = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'use lowercase letters, digits, - and _');

const roleSchema = z.strictObject({
  description: z.string().optional(),
  /** Command names this role may run (or request, for mutating ones); `*` for all. */
  commands: z.array(z.string()).min(1),
  /** Namespaces the role may act in; `*` for every namespace of the allow-list. */
  namespaces: z.array(nsPattern).default(['*']),
  /** Clusters (policy `clusters`) the role may act on; `*` for all. */
  clusters: z.array(z.union([z.literal('*'), name])).default(['*']),
});

const language = z.enum(['en', 'zh'], { error: 'use zh (简体中文) or en (English)' });

/** An IANA time zone name this runtime knows. */
const ianaZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'unknown time zone (use an IANA name such as Asia/Shanghai)');

const personSchema = z.strictObject({
  name: z.string().min(1).optional(),
  /** What the bot answers this person in; the policy's `language` when absent. */
  language: language.optional(),
  /** This person's IANA time zone, when not the team's: card times then say their zone (UTC+8). */
  timezone: ianaZone.optional(),
  roles: z.array(name).min(1),
  // Keys are checked against the registered platforms in crossCheck (the list is not known here).
  ids: z.record(z.string(), z.string().min(1)).default({}),
  /** How an alert escalation may ring this person where the platform can (Feishu 加急, DingTalk DING, WeCom 紧急通知). */
  urgent: z.enum(['app', 'sms', 'phone']).optional(),
  /**
   * The SHA-256 (hex) of this person's console token: outside the demo the console acts as the person
   * whose token is presented, and no one else (`npm run console-token -- <person>` makes one). Only the
   * hash is in the policy file.
   */
  consoleTokenSha256: z
    .string()
    .regex(/^[a-f0-9]{64}$/, 'the SHA-256 of the token, 64 lowercase hex characters (npm run console-token -- <person>)')
    .optional(),
  /**
   * An AI agent that calls opsbot over MCP (/mcp, `opsbot mcp`) with a bearer token: the SHA-256 of that
   * token. Its roles decide what it may run and request, as for a person; its changes are approved by people.
   */
  mcpTokenSha256: z
    .string()
    .regex(/^[a-f0-9]{64}$/, 'the SHA-256 of the token, 64 lowercase hex characters (npm run console-token -- <agent>)')
    .optional(),
  /**
   * With `impersonation` on: the Kubernetes user and groups this person's calls are made as. Default:
   * user `<userPrefix><id>`, groups `<groupPrefix><role>` for each of their roles.
   */
  kube: z.strictObject({ user: z.string().min(1).max(253).optional(), groups: z.array(z.string().min(1).max(253)).max(32).optional() }).optional(),
});

/** A chat, as `platform:chat-id` (the per-chat default cluster). */
const chatRef = z.string().regex(/^[a-z][a-z0-9-]*:.{1,200}$/, 'a chat as platform:chat-id (e.g. console:ops)');

const clusterSchema = z.strictObject({
  /** The kubeconfig context (KUBECONFIG) to reach it through; `in-cluster` for the pod's own service account. Default: the cluster's name. */
  context: z.string().min(1).optional(),
  /** What cards call it (e.g. 上海生产); default the name. */
  label: z.string().min(1).max(40).optional(),
  /** The cluster a command acts on when none is named and the chat has no default of its own (one at most; else the first). */
  default: z.boolean().default(false),
  /** Chats where this cluster is the default. */
  chats: z.array(chatRef).default([]),
});

/** One approval step; `timeout` defaults to approvals.expiry. */
const stepSchema = z.strictObject({ role: name, timeout: duration.optional() });

const policySchema = z.strictObject({
  /**
   * What the bot says in chat (cards, refusals, help) when the person has no `language` of their own and
   * a message gives no hint (a request written in Chinese is answered in Chinese). Command names and
   * Kubernetes terms stay as they are.
   */
  language: language.default('en'),
  /** IANA time zone for times shown in cards. */
  timezone: ianaZone.default('Asia/Shanghai'),
  namespaces: z.strictObject({
    /** The only namespaces opsbot touches. Others are refused before any API call. */
    allow: z.array(dnsLabel).min(1),
    default: dnsLabel.default('default'),
  }),
  roles: z.record(name, roleSchema),
  people: z.record(name, personSchema),
  /**
   * Several clusters, by the name people type (`--cluster <name>`): each a kubeconfig context. Absent:
   * the one cluster of KUBECONFIG/KUBE_CONTEXT (or in-cluster, or the demo).
   */
  clusters: z.record(name, clusterSchema).default({}),
  /**
   * Every call made for a person (read-only commands, and approved changes as the requester) is sent with
   * Kubernetes impersonation headers, so the cluster's own RBAC has the last word. Absent: off.
   */
  impersonation: z
    .strictObject({
      userPrefix: z.string().max(100).default('opsbot:'),
      groupPrefix: z.string().max(100).default('opsbot:'),
      /** Also send who approved a change (`Impersonate-Extra-Approved-By`), for the cluster's audit log. */
      recordApprover: z.boolean().default(true),
    })
    .optional(),
  limits: z
    .strictObject({
      scale: z.strictObject({ min: z.number().int().min(0).default(0), max: z.number().int().min(1).default(50) }).default({ min: 0, max: 50 }),
      logTail: z.number().int().min(1).max(5000).default(200),
    })
    .default({ scale: { min: 0, max: 50 }, logTail: 200 }),
  approvals: z
    .strictObject({
      expiry: duration.default(15 * 60_000),
      allowSelfApproval: z.boolean().default(false),
      risk: z
        .partialRecord(z.enum(RISK_LEVELS), z.strictObject({ steps: z.array(stepSchema).min(1), allowSelfApproval: z.boolean().optional() }))
        .default({}),
      autoApprove: z
        .array(
          z.strictObject({
            command: z.string(),
            namespaces: z.array(nsPattern).default(['*']),
            maxReplicas: z.number().int().min(0).optional(),
          }),
        )
        .default([]),
    })
    .default({ expiry: 15 * 60_000, allowSelfApproval: false, risk: {}, autoApprove: [] }),
  /**
   * Alerts from Alertmanager: which label gives the severity and how it maps to P0–P3, what each level
   * does (mentions, posting), who is on call, and the routes (matchers → notify targets), first match
   * wins unless a route says `continue`, as in Alertmanager.
   */
  alerts: z
    .strictObject({
      severity: z
        .strictObject({
          label: z.string().min(1).default('severity'),
          map: z.record(z.string(), z.enum(LEVELS)).default({ critical: 'P0', error: 'P1', warning: 'P2', info: 'P3' }),
          default: z.enum(LEVELS).default('P2'),
        })
        .default({ label: 'severity', map: { critical: 'P0', error: 'P1', warning: 'P2', info: 'P3' }, default: 'P2' }),
      levels: z
        .partialRecord(
          z.enum(LEVELS),
          z.strictObject({
            mention: z.enum(['all', 'oncall', 'none']).default('none'),
            post: z.boolean().default(true),
            escalateAfter: duration.optional(),
          }),
        )
        .default({}),
      oncall: z.array(name).default([]),
      /** A rotation: `people` take turns, each for `every` (default a week), from the hand-off at `start` (team's zone). */
      rotation: z
        .strictObject({
          people: z.array(name).min(1),
          start: z.string().regex(/^\d{4}-\d\d-\d\d[ T]\d\d:\d\d$/, 'a local time like 2026-01-05 10:00 (a hand-off)'),
          every: duration.default(7 * 86_400_000),
        })
        .optional(),
      routes: z
        .array(
          z.strictObject({
            matchers: z.array(z.string().min(3).max(300)).default([]),
            targets: z.array(name).min(1),
            continue: z.boolean().default(false),
            /** Who is rung, in order, each time a P0/P1 group stays un-acked for its level's escalateAfter. */
            escalate: z.array(name).default([]),
          }),
        )
        .default([]),
    })
    .default({ severity: { label: 'severity', map: { critical: 'P0', error: 'P1', warning: 'P2', info: 'P3' }, default: 'P2' }, levels: {}, oncall: [], routes: [] }),
  /**
   * Named PromQL queries for /top <name> [namespace] (and the LLM): `$namespace` becomes the namespace
   * asked for, or every namespace of namespaces.allow as a regex. Defaults: cpu, memory, restarts.
   */
  queries: z
    .record(name, z.strictObject({ promql: z.string().min(3).max(2000), description: z.string().max(200).optional(), unit: z.enum(['cores', 'bytes', 'count', 'percent', 'seconds', 'rate']).optional() }))
    .default(DEFAULT_QUERIES),
  /**
   * Reports posted without asking: the daily and weekly health reports (cron in the report's time zone;
   * no targets: not posted, /report still works) and postmortems of long P0/P1 incidents.
   */
  reports: z
    .strictObject({
      timezone: ianaZone.optional(),
      daily: z.strictObject({ cron: cronText.default('0 8 * * *'), targets: z.array(name).default([]) }).default({ cron: '0 8 * * *', targets: [] }),
      weekly: z.strictObject({ cron: cronText.default('0 9 * * 1'), targets: z.array(name).default([]) }).default({ cron: '0 9 * * 1', targets: [] }),
      /** A run missed while opsbot was down is posted on start if it was due at most this long ago. */
      catchUp: duration.default(6 * 3_600_000),
      postmortem: z
        .strictObject({
          /** A group of these levels that resolves after firing at least `after` gets a postmortem card. */
          levels: z.array(z.enum(LEVELS)).default(['P0', 'P1']),
          after: duration.default(10 * 60_000),
        })
        .default({ levels: ['P0', 'P1'], after: 10 * 60_000 }),
    })
    .default({ daily: { cron: '0 8 * * *', targets: [] }, weekly: { cron: '0 9 * * 1', targets: [] }, catchUp: 6 * 3_600_000, postmortem: { levels: ['P0', 'P1'], after: 10 * 60_000 } }),
  /**
   * Where the bot posts without a triggering message (alerts, reports, /notify-test): named targets,
   * each a platform and a chat (or a send-only robot's name), and the name it posts as.
   */
  /** MCP (/mcp and `opsbot mcp`): where agents' change requests are posted, and how long a call waits. */
  mcp: z
    .strictObject({
      /** The notify target whose chat gets the approval cards of agents' requests. */
      target: name.optional(),
      /** A mutating call waits this long for the decision, then answers "pending" with the approval's id. */
      wait: duration.default(50_000),
      /**
       * MCP servers whose tools the LLM may use beside our commands (as commands `mcp-<server>-<tool>`).
       * Every tool is a change — approved by people — unless `readOnly` names it.
       */
      servers: z
        .record(
          name,
          z
            .strictObject({
              /** Streamable HTTP endpoint… */
              url: z.url({ protocol: /^https?$/ }).optional(),
              /** …or a command started with stdio (argv, no shell). */
              command: z.array(z.string().min(1)).min(1).optional(),
              /** Environment variables for the command (values as given; secrets come from the process env via tokenEnv). */
              env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).default({}),
              /** The name of an environment variable holding a bearer token for `url`. */
              tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
              /** Tools that only read (run without approval): names, or prefixes ending in `*`. */
              readOnly: z.array(z.string().min(1)).default([]),
              /** The risk (approval chain) of the other tools. */
              risk: z.enum(RISK_LEVELS).default('medium'),
              timeout: duration.default(30_000),
              /** Most characters of a tool's answer kept (cards, the model's context). */
              maxResultChars: z.number().int().min(200).max(100_000).default(8000),
            })
            .refine((s) => Boolean(s.url) !== Boolean(s.command), 'give exactly one of url or command'),
        )
        .default({}),
    })
    .default({ wait: 50_000, servers: {} }),
  notify: z
    .strictObject({
      actor: name.default('opsbot'),
      targets: z.record(name, z.strictObject({ platform: z.string().min(1), chat: z.string().min(1).max(200), description: z.string().optional() })).default({}),
    })
    .default({ actor: 'opsbot', targets: {} }),
});

export type Policy = z.infer<typeof policySchema>;
export type Person = { id: string; name: string; roles: string[]; ids: Record<PlatformId, string>; language?: 'en' | 'zh' };

/** The Kubernetes identity calls for this person are made as, or undefined when impersonation is off. */
export function kubeIdentityOf(policy: Policy, person: Person): { user: string; groups: string[] } | undefined {
  const imp = policy.impersonation;
  if (!imp) return undefined;
  const own = policy.people[person.id]?.kube;
  return { user: own?.user ?? `${imp.userPrefix}${person.id}`, groups: own?.groups ?? person.roles.map((r) => `${imp.groupPrefix}${r}`) };
}

export type PolicyResult = { ok: true; policy: Policy } | { ok: false; problems: string[] };

/**
 * Parses and cross-checks a policy. `knownCommands` are the registry's names, `platforms` the ids a
 * person may have (console and the registered platforms), both for typo detection.
 */
export function parsePolicy(text: string, file: string, knownCommands: readonly string[], risks: Readonly<Record<string, Risk>> = {}, platforms: readonly string[] = platformIds()): PolicyResult {
  const label = basename(file);
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    return { ok: false, problems: doc.errors.map((e) => `${label}: ${e.message.split('\n')[0]}`) };
  }
  const parsed = policySchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((i) => `${label}: ${pathOf(i.path)}: ${i.message}`) };
  }
  const policy = parsed.data;
  const problems = crossCheck(policy, knownCommands, risks, platforms).map((p) => `${label}: ${p}`);
  return problems.length ? { ok: false, problems } : { ok: true, policy };
}

export function loadPolicyFile(file: string, knownCommands: readonly string[], risks: Readonly<Record<string, Risk>> = {}, platforms: readonly string[] = platformIds()): PolicyResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { ok: false, problems: [`OPSBOT_CONFIG: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`] };
  }
  return parsePolicy(text, file, knownCommands, risks, platforms);
}

function crossCheck(p: Policy, knownCommands: readonly string[], risks: Readonly<Record<string, Risk>>, platforms: readonly string[]): string[] {
  const out: string[] = [];
  const roles = Object.keys(p.roles);
  const knownRole = (r: string, path: string) => {
    if (!p.roles[r]) out.push(`${path}: unknown role "${r}" (known: ${roles.join(', ') || 'none'})`);
  };
  const knownNs = (ns: string, path: string) => {
    if (ns !== '*' && !p.namespaces.allow.includes(ns)) out.push(`${path}: namespace "${ns}" is not in namespaces.allow`);
  };
  if (!p.namespaces.allow.includes(p.namespaces.default)) {
    out.push(`namespaces.default: "${p.namespaces.default}" is not in namespaces.allow`);
  }
  // Everyone needs a way in: an id on a platform, or (an agent) an MCP token.
  for (const [id, person] of Object.entries(p.people)) {
    if (!Object.keys(person.ids).length && !person.mcpTokenSha256) out.push(`people.${id}.ids: give at least one platform id (console, or a platform of this build), or mcpTokenSha256 for an MCP agent`);
  }
  const agents = Object.entries(p.people).filter(([, person]) => person.mcpTokenSha256);
  if (agents.length && !p.mcp.target) out.push(`mcp.target: people ${agents.map(([id]) => id).join(', ')} call over MCP; name the notify target where their change requests go`);
  if (p.mcp.target && !p.notify.targets[p.mcp.target]) out.push(`mcp.target: unknown notify target "${p.mcp.target}" (notify.targets has: ${Object.keys(p.notify.targets).join(', ') || 'none'})`);
  const agentTokens = new Map<string, string>();
  for (const [id, person] of agents) {
    const other = agentTokens.get(person.mcpTokenSha256 as string) ?? (Object.entries(p.people).find(([, q]) => q.consoleTokenSha256 === person.mcpTokenSha256)?.[0]);
    if (other) out.push(`people.${id}.mcpTokenSha256: the same token as people.${other} (each needs their own)`);
    agentTokens.set(person.mcpTokenSha256 as string, id);
  }
  const hashes = new Map<string, string>();
  for (const [id, person] of Object.entries(p.people)) {
    if (!person.consoleTokenSha256) continue;
    if (!person.ids['console']) out.push(`people.${id}.consoleTokenSha256: needs ids.console (the console acts as that id)`);
    const other = hashes.get(person.consoleTokenSha256);
    if (other) out.push(`people.${id}.consoleTokenSha256: the same token as people.${other} (each person needs their own)`);
    hashes.set(person.consoleTokenSha256, id);
  }
  // An MCP server's tools are commands `mcp-<server>-<tool>`, known once it answers: a role names them
  // one by one or as `mcp-<server>-*`.
  const mcpCommand = (c: string) => Object.keys(p.mcp.servers).some((s) => c.startsWith(`mcp-${s}-`) && c.length > `mcp-${s}-`.length);
  for (const [r, role] of Object.entries(p.roles)) {
    role.commands.forEach((c, i) => {
      if (c !== '*' && !knownCommands.includes(c) && !mcpCommand(c)) out.push(`roles.${r}.commands[${i}]: unknown command "${c}"`);
    });
    role.namespaces.forEach((ns, i) => knownNs(ns, `roles.${r}.namespaces[${i}]`));
    role.clusters.forEach((c, i) => {
      if (c !== '*' && !p.clusters[c]) out.push(`roles.${r}.clusters[${i}]: unknown cluster "${c}" (clusters has: ${Object.keys(p.clusters).join(', ') || 'none'})`);
    });
  }
  const defaults = Object.entries(p.clusters).filter(([, c]) => c.default).map(([n]) => n);
  if (defaults.length > 1) out.push(`clusters: ${defaults.join(', ')} are all marked default (one at most)`);
  const chatOwner = new Map<string, string>();
  for (const [n, c] of Object.entries(p.clusters)) {
    c.chats.forEach((chat, i) => {
      const platform = chat.slice(0, chat.indexOf(':'));
      if (!platforms.includes(platform)) out.push(`clusters.${n}.chats[${i}]: unknown platform "${platform}" (this build has: ${platforms.join(', ')})`);
      const other = chatOwner.get(chat);
      if (other) out.push(`clusters.${n}.chats[${i}]: "${chat}" already defaults to cluster ${other}`);
      chatOwner.set(chat, n);
    });
  }
  const seen = new Map<string, string>();
  for (const [id, person] of Object.entries(p.people)) {
    person.roles.forEach((r, i) => knownRole(r, `people.${id}.roles[${i}]`));
    for (const [platform, uid] of Object.entries(person.ids)) {
      if (!platforms.includes(platform)) out.push(`people.${id}.ids.${platform}: unknown platform "${platform}" (this build has: ${platforms.join(', ')})`);
      const key = `${platform}:${uid}`;
      const other = seen.get(key);
      if (other) out.push(`people.${id}.ids.${platform}: "${uid}" is also ${other}'s id`);
      seen.set(key, id);
    }
  }
  for (const [risk, level] of Object.entries(p.approvals.risk)) {
    level.steps.forEach((s, i) => knownRole(s.role, `approvals.risk.${risk}.steps[${i}].role`));
  }
  p.approvals.autoApprove.forEach((rule, i) => {
    if (!knownCommands.includes(rule.command)) out.push(`approvals.autoApprove[${i}].command: unknown command "${rule.command}"`);
    rule.namespaces.forEach((ns, j) => knownNs(ns, `approvals.autoApprove[${i}].namespaces[${j}]`));
  });
  if (p.limits.scale.min > p.limits.scale.max) out.push('limits.scale: min is greater than max');
  p.alerts.routes.forEach((r, i) => {
    for (const t of r.targets) if (!p.notify.targets[t]) out.push(`alerts.routes[${i}].targets: unknown notify target "${t}" (notify.targets has: ${Object.keys(p.notify.targets).join(', ') || 'none'})`);
    r.matchers.forEach((m, j) => {
      const problem = matcherProblem(m);
      if (problem) out.push(`alerts.routes[${i}].matchers[${j}]: ${problem}`);
    });
  });
  for (const kind of ['daily', 'weekly'] as const) {
    p.reports[kind].targets.forEach((t, i) => p.notify.targets[t] || out.push(`reports.${kind}.targets[${i}]: unknown notify target "${t}" (notify.targets has: ${Object.keys(p.notify.targets).join(', ') || 'none'})`));
  }
  for (const id of p.alerts.oncall) if (!p.people[id]) out.push(`alerts.oncall: unknown person "${id}"`);
  for (const id of p.alerts.rotation?.people ?? []) if (!p.people[id]) out.push(`alerts.rotation.people: unknown person "${id}"`);
  p.alerts.routes.forEach((r, i) => r.escalate.forEach((id) => p.people[id] || out.push(`alerts.routes[${i}].escalate: unknown person "${id}"`)));
  for (const [t, target] of Object.entries(p.notify.targets)) {
    if (!platforms.includes(target.platform)) out.push(`notify.targets.${t}.platform: unknown platform "${target.platform}" (this build has: ${platforms.join(', ')})`);
  }
  if (p.people[p.notify.actor]) out.push(`notify.actor: "${p.notify.actor}" is also a person's id; the bot's own name must not be mistaken for a person`);
  // Every risk level a mutating command has needs an approval chain, or nobody could ever approve it.
  const needed = new Map<Risk, string[]>();
  for (const [cmd, risk] of Object.entries(risks)) needed.set(risk, [...(needed.get(risk) ?? []), `/${cmd}`]);
  for (const [risk, cmds] of needed) {
    if (!p.approvals.risk[risk]) out.push(`approvals.risk.${risk}: missing — ${cmds.join(', ')} need an approval chain (steps: [{ role: …, timeout: 15m }])`);
  }
  return out;
}

function pathOf(path: readonly PropertyKey[]): string {
  if (!path.length) return '(top level)';
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');
}

/** Finds the person behind a platform user id. */
export function findPerson(policy: Policy, platform: PlatformId, userId: string): Person | undefined {
  for (const [id, p] of Object.entries(policy.people)) {
    if (p.ids[platform] === userId) return { id, name: p.name ?? id, roles: p.roles, ids: p.ids, ...(p.language ? { language: p.language } : {}) };
  }
  return undefined;
}
