import type { z } from 'zod';
import type { AlertmanagerClient } from './alerts/alertmanager.js';
import type { AlertGroup } from './alerts/types.js';
import type { Block, Button, Card } from '../../cards/model.js';
import type { PlatformId, Person, Policy, Risk } from '../config/policy.js';
import type { KubeClient } from '../kube/client.js';
import type { Clusters } from '../kube/clusters.js';
import type { KubeCall } from '../kube/rbac.js';
import type { Logger } from '../log.js';
import type { Notifier } from './notifier.js';
import type { ReportService } from './reports/service.js';
import type { PrometheusClient, Series } from './prometheus.js';
import type { StepOutcome } from './runbooks/engine.js';
import type { Runbooks } from './runbooks/runbook.js';
import type { StepLine } from '../../cards/steps.js';

export type Lang = 'en' | 'zh';

/** What a command may use. Built per invocation by the router; no globals. */
export interface CommandContext {
  /** The cluster this invocation acts on, as the person (impersonated when the policy says so). */
  kube: KubeClient;
  /** Its name (policy `clusters`; the context's name with one cluster). */
  cluster: string;
  clusters: Clusters;
  /** The same invocation on another cluster (`--cluster`); an unknown name is a usage error. */
  onCluster(name: string): CommandContext;
  policy: Policy;
  person: Person;
  lang: Lang;
  log: Logger;
  signal: AbortSignal;
  /**
   * An approved change being run, not requested: previews re-read the target (the drift check) and skip
   * their server-side dry run — the real call follows at once and answers what the dry run would (it was
   * made when the change was requested, and the card showed it).
   */
  executing?: boolean;
  now: () => number;
  /** The namespace a command acts in when none was given (policy `namespaces.default`). */
  defaultNamespace: string;
  /** Namespaces this person may see, already cut to the policy's allow-list. */
  namespaces: readonly string[];
  /** Signed drill-down buttons that run a read-only command when clicked. */
  button(label: string, command: string, args: Record<string, unknown>): Button;
  /**
   * A button that *requests* a change ("Silence 1h", "Roll back"): the click creates an approval card,
   * authorised for the person who clicks, exactly as if they had typed the command. Nothing runs unapproved.
   */
  requestButton(label: string, command: string, args: Record<string, unknown>, style?: Button['style']): Button;
  /** The registry, for /help. */
  commands: readonly AnyCommandSpec[];
  /** Who asked, on which platform, in which chat. */
  actor: { personId: string; name: string; platform: PlatformId; userId: string };
  chatId: string;
  /** The approval workflow and the audit log, for /approve, /reject, /cancel, /approvals and /audit. */
  workflow: Workflow;
  /** Posts to the policy's notify targets (/notify-test; alerts and reports use it directly). */
  notifier: Notifier;
  /** Forgets this person's LLM conversation in this chat; true if there was one. */
  resetConversation(): Promise<boolean>;
  /**
   * With an LLM configured: the model's short guess at the cause from numbered evidence lines (no tools,
   * so it can only read), with the lines it relied on — always the caller's own lines, never invented.
   */
  diagnose?(subject: string, evidence: readonly string[]): Promise<Diagnosis>;
  /** Alertmanager's API (ALERTMANAGER_URL), when configured. */
  alertmanager?: AlertmanagerClient;
  /** The alert groups opsbot tracks (for /alerts). */
  alerts?: { firing(limit?: number): Promise<AlertGroup[]> };
  /** The daily and weekly reports (/report). */
  reports?: ReportService;
  /** Prometheus's API (PROMETHEUS_URL), when configured: /query, /top. */
  prometheus?: PrometheusClient;
  /**
   * A range query's series drawn as a chart (PNG, kept by the core): the image block to put in the card,
   * or undefined where charts cannot be drawn here (the card's text trend then stands alone).
   */
  chart?(series: readonly Series[], o: { format: (v: number) => string; alt: string }): Promise<Block | undefined>;
  /** The runbooks loaded at startup (OPSBOT_RUNBOOKS). */
  runbooks?: Runbooks;
  /**
   * While an approved change runs: tells every copy of its card how step `i` is going (a runbook's live
   * progress). Absent outside an execution.
   */
  progress?(i: number, outcome: StepOutcome): Promise<void>;
}

/** What the workflow commands may do; implemented by the approval service. */
export interface Workflow {
  decide(ctx: CommandContext, id: string, decision: 'approve' | 'reject', reason?: string): Promise<Card>;
  cancel(ctx: CommandContext, id: string): Promise<Card>;
  openApprovals(ctx: CommandContext): Promise<Card>;
  auditLog(ctx: CommandContext, limit: number): Promise<Card>;
}

/** The before → after summary of a mutating command, shown on its approval card. */
export interface Preview {
  target: string;
  change: string;
  before: unknown;
  /** A change made of steps (a runbook): each listed on the approval card, with its progress once it runs. */
  steps?: StepLine[];
  /** The risk, when it is the request's rather than the command's (a runbook says its own). */
  risk?: Risk;
  /** How long the execution may take, when longer than a single command (a runbook's waits). */
  runMs?: number;
  /** The change could not be dry-run (an external MCP tool): the approval card says so. */
  unchecked?: true;
}

/**
 * One command, defined once: this object drives the slash parser, /help, the LLM tool schema and the
 * approval card.
 */
export interface CommandSpec<S extends z.ZodObject = z.ZodObject> {
  name: string;
  aliases?: string[];
  summary: { en: string; zh: string };
  examples?: string[];
  args: S;
  /** Fields filled by position, in order. */
  positionals: (keyof z.input<S> & string)[];
  /** The last positional takes the rest of the line (e.g. a reason with spaces). */
  rest?: keyof z.input<S> & string;
  /** Option spellings per field, e.g. `namespace: ['-n', '--namespace']`. Booleans take no value. */
  flags?: Partial<Record<keyof z.input<S> & string, string[]>>;
  mutating: false | { risk: Risk };
  /**
   * `self`: the command checks permission itself (the approval commands: the approval's step role
   * decides, not the role's command list). Default `policy`.
   */
  authz?: 'policy' | 'self';
  /**
   * The Kubernetes client calls the command makes (its preview and run included): the deployment's RBAC
   * is generated from these (`npm run rbac`), and a test fails if a command calls more or less.
   */
  kube?: readonly KubeCall[];
  /**
   * The `rest` field is taken as typed, quotes included (PromQL): only the spec's flags at the end of the
   * line are read as flags.
   */
  verbatim?: true;
  /** The tool schema the LLM gets, when it is not derived from `args` (an MCP tool's own inputSchema). */
  jsonSchema?: Record<string, unknown>;
  /** The command looks at every cluster itself (/clusters): it takes no `--cluster`. */
  eachCluster?: true;
  /** false: never offered to the LLM as a tool (approving is for humans only). */
  llm?: false;
  /** Checks that need the policy (bounds), before any API call. Throws UsageError. */
  check?(ctx: CommandContext, args: z.output<S>): void;
  /**
   * Reads the current state, validates the change with a server-side dry run, and says what would
   * change. `before` is the drift fingerprint: execution re-runs preview and refuses if it differs.
   * Mutating commands only.
   */
  preview?(ctx: CommandContext, args: z.output<S>): Promise<Preview>;
  run(ctx: CommandContext, args: z.output<S>): Promise<Card>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry holds specs of every argument shape
export type AnyCommandSpec = CommandSpec<any>;

/** Returns its argument: exists so that `run` is typed from `args`. */
export function defineCommand<S extends z.ZodObject>(spec: CommandSpec<S>): CommandSpec<S> {
  return spec;
}

/** `namespace` given, or the policy default. */
export function nsOf(ctx: CommandContext, args: { namespace?: string | undefined }): string {
  return args.namespace ?? ctx.defaultNamespace;
}

/** The model's guess from evidence (Investigate): what it thinks, and which of the given lines it used. */
export type Diagnosis = { ok: true; text: string; cited: string[]; seconds: number } | { ok: false; reason: string };
