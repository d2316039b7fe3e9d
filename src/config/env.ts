import { redactUrl } from './url.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { Secret } from './secret.js';
import { EnvVars, httpUrl, shorten, type VarDoc } from './vars.js';
import type { PlatformDefinition } from '../core/platform.js';
import { PLATFORMS } from '../platforms/index.js';

/**
 * Everything opsbot reads from the environment, typed. This is the only module that knows variable
 * names; `main.ts` hands it `process.env` and every other module receives a `Config`.
 */
/** One variable as the console's config view shows it. */
export interface Setting {
  name: string;
  /** `core` or the platform's id. */
  group: string;
  source: 'env' | 'default';
  /** Secrets: `[set]` / `[not set]`; URLs without credentials or query. */
  value: string;
  meaning: string;
}

export interface Config {
  /** Every known variable's effective value and source (the console's config view). */
  settings: Setting[];
  /** Audit lines older than this are pruned; 0 keeps them forever. */
  auditRetentionMs: number;
  /** Where audit lines past the retention are exported before pruning (absent: pruned without export). */
  auditExportDir?: string;
  /** Chat events whose work runs at once, and most accepted (running and waiting). */
  work: { concurrency: number; queue: number };
  port: number;
  host: string;
  /** Run the embedded demo Kubernetes API instead of a real cluster. */
  demo: boolean;
  demoPort: number;
  /** Path of the policy YAML; `undefined` only in tests that pass a policy object. */
  policyPath: string;
  policyIsExample: boolean;
  dataDir: string;
  store: string;
  kube: KubeConfigSource;
  kubeTimeoutMs: number;
  /** Prometheus's base URL (PROMETHEUS_URL), when configured. */
  prometheusUrl?: string;
  /** The bot's address as the platforms' servers reach it (OPSBOT_PUBLIC_URL): signed image links. */
  publicUrl?: string;
  /** A CJK font file for chart labels (OPSBOT_CHART_FONT); default: the first of the usual paths found. */
  chartFont?: string;
  /** Folders of runbook YAML files (OPSBOT_RUNBOOKS), in order. */
  runbookDirs: string[];
  /** A variable the policy names (an MCP server's tokenEnv, its PATH), read when needed; never logged. */
  fromEnv: (name: string) => string | undefined;
  /** The demo starts its own Prometheus when one is installed (OPSBOT_DEMO_PROMETHEUS=auto). */
  demoPrometheus: boolean;
  /** SIGTERM: the bound on finishing in-flight work (OPSBOT_SHUTDOWN_TIMEOUT). */
  shutdownTimeoutMs: number;
  consoleToken?: Secret;
  signingKey?: Secret;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  llm: LlmConfig;
  alerts: AlertsConfig;
  /** Each configured chat platform's own config, by platform id (src/platforms/index.ts). */
  platforms: Record<string, unknown>;
}

export interface LlmConfig {
  baseUrl?: string;
  apiKey?: Secret;
  model?: string;
  /** Tool rounds per question before the loop stops with what it found. */
  maxRounds: number;
  /** One request to the model. */
  requestTimeoutMs: number;
  /** The whole answer, all rounds and tools included. */
  deadlineMs: number;
  /** Retries of a failed model request (429 / 5xx / connection), honouring Retry-After. */
  maxRetries: number;
  /** Size of one tool result sent back to the model. */
  toolResultTokens: number;
  /** Use streaming responses (some servers only stream tool calls reliably). */
  stream: boolean;
  /** Conversation memory per chat and person: turns kept, token budget, idle time-to-live. */
  memoryTurns: number;
  memoryTokens: number;
  memoryTtlMs: number;
}

export interface AlertsConfig {
  /** Alertmanager's base URL (API v2: silences), when set. */
  alertmanagerUrl?: string;
  /** Bearer token the Alertmanager webhook must send (compared in constant time); unset: none required. */
  webhookToken?: Secret;
}

export type KubeConfigSource =
  | { kind: 'demo' }
  | { kind: 'kubeconfig'; path: string; context?: string }
  | { kind: 'in-cluster' };

export type ConfigResult = { ok: true; config: Config; notes: string[] } | { ok: false; problems: string[] };

type Env = Readonly<Record<string, string | undefined>>;

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = z
  .string()
  .regex(/^\d+$/, 'must be a port number (0-65535)')
  .transform(Number)
  .refine((n) => n <= 65535, 'must be a port number (0-65535)');

const url = httpUrl;

/** Reads and validates the environment. Never throws: problems come back one line each. */
/**
 * The core's variables (platforms list theirs in their definitions): the console's config view shows
 * each with its effective value and where it came from; a test holds README's table to this list.
 */
export const CORE_VARS: VarDoc[] = [
  { name: 'PORT', default: '3000', meaning: 'HTTP listen port' },
  { name: 'HOST', default: '127.0.0.1 in the demo, else 0.0.0.0', meaning: 'HTTP listen address' },
  { name: 'OPSBOT_CONFIG', default: './opsbot.yaml (demo: opsbot.example.yaml)', meaning: 'policy file' },
  { name: 'OPSBOT_DATA_DIR', default: './data', meaning: 'signing key, demo kubeconfig, store' },
  { name: 'OPSBOT_STORE', default: 'sqlite:./data/opsbot.db', meaning: 'store for approvals, cards, dedupe and audit', secret: true },
  { name: 'OPSBOT_SECRET', default: 'generated into data/opsbot.secret', meaning: 'key that signs button payloads', secret: true },
  { name: 'KUBECONFIG', meaning: 'kubeconfig of the cluster' },
  { name: 'KUBE_CONTEXT', default: "the file's current-context", meaning: 'context to use' },
  { name: 'KUBE_TIMEOUT', default: '10s', meaning: 'timeout of every Kubernetes API call' },
  { name: 'OPSBOT_DEMO', default: '0', meaning: '1 forces the embedded demo cluster' },
  { name: 'OPSBOT_DEMO_PORT', default: 'a free port', meaning: 'port of the demo API on 127.0.0.1' },
  { name: 'CONSOLE_TOKEN', meaning: 'token of the console when HOST is not loopback', secret: true },
  { name: 'LOG_LEVEL', default: 'info', meaning: 'log level' },
  { name: 'LOG_FORMAT', default: 'pretty in the demo, else json', meaning: 'log format' },
  { name: 'LLM_BASE_URL', meaning: 'OpenAI-compatible base URL' },
  { name: 'LLM_API_KEY', meaning: "the provider's key", secret: true },
  { name: 'LLM_MODEL', meaning: 'model name; enables plain-language requests' },
  { name: 'LLM_MAX_ROUNDS', default: '6', meaning: 'tool rounds per question' },
  { name: 'LLM_TIMEOUT', default: '30s', meaning: 'one request to the model' },
  { name: 'LLM_DEADLINE', default: '90s', meaning: 'the whole answer' },
  { name: 'LLM_MAX_RETRIES', default: '2', meaning: 'retries of a failed model request' },
  { name: 'LLM_TOOL_RESULT_TOKENS', default: '1500', meaning: 'size of one tool result sent back to the model' },
  { name: 'LLM_STREAM', default: '0', meaning: '1 uses streaming responses' },
  { name: 'LLM_MEMORY_TURNS', default: '4', meaning: 'turns remembered per chat and person' },
  { name: 'LLM_MEMORY_TOKENS', default: '3000', meaning: 'token budget of that memory' },
  { name: 'LLM_MEMORY_TTL', default: '30m', meaning: 'memory is forgotten after this long' },
  { name: 'OPSBOT_AUDIT_RETENTION', default: '90d', meaning: 'how long audit lines are kept (0: forever); older ones are pruned' },
  { name: 'OPSBOT_AUDIT_EXPORT', default: '(none)', meaning: 'directory where audit lines past the retention are appended (JSON lines) before they are pruned' },
  { name: 'OPSBOT_WORK_CONCURRENCY', default: '16', meaning: 'most chat events whose work runs at once; the rest wait their turn (acks never wait)' },
  { name: 'OPSBOT_WORK_QUEUE', default: '200', meaning: 'most chat events accepted at once (running and waiting); beyond it a "busy" reply' },
  { name: 'OPSBOT_SHUTDOWN_TIMEOUT', default: '25s', meaning: 'on SIGTERM, how long in-flight requests, executions and the outbound queue get to finish before the store closes (keep it below terminationGracePeriodSeconds)' },
  { name: 'ALERTMANAGER_WEBHOOK_TOKEN', meaning: 'bearer token of POST /webhooks/alertmanager', secret: true },
  { name: 'ALERTMANAGER_URL', meaning: "Alertmanager's base URL (API v2), for silences" },
  { name: 'PROMETHEUS_URL', meaning: "Prometheus's base URL (HTTP API), for /query and /top" },
  { name: 'OPSBOT_PUBLIC_URL', meaning: "the bot's base URL as the chat platforms' servers reach it (e.g. https://opsbot.example.com): cards on platforms that show images only by URL then show charts by a signed link (GET /images/…); without it they show the text trend" },
  { name: 'OPSBOT_CHART_FONT', default: '(fonts-wqy-zenhei or Noto CJK, when installed)', meaning: 'a font file with Chinese glyphs for chart images (/query --range); without one Chinese labels do not render' },
  { name: 'OPSBOT_RUNBOOKS', default: './runbooks', meaning: 'folders of runbook YAML files, comma-separated (the shipped runbooks are in ./runbooks; empty: none); every file is checked at startup' },
  { name: 'OPSBOT_DEMO_PROMETHEUS', default: 'auto', meaning: 'the demo starts its own Prometheus scraping the demo cluster when a prometheus binary is installed (auto), or never (off)' },
];

export function loadConfig(env: Env, opts: { cwd?: string; inClusterTokenPath?: string; platforms?: readonly PlatformDefinition[] } = {}): ConfigResult {
  const cwd = opts.cwd ?? process.cwd();
  const problems: string[] = [];
  const notes: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  function check<T>(name: string, schema: z.ZodType<T>, fallback: T): T {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const r = schema.safeParse(raw);
    if (r.success) return r.data;
    problems.push(`${name}: ${r.error.issues[0]?.message ?? 'invalid value'} (got "${shorten(String(redactUrl(raw)))}")`);
    return fallback;
  }
  const secret = (name: string, minLength = 1): Secret | undefined => {
    const raw = get(name);
    if (raw === undefined) return undefined;
    if (raw.length < minLength) problems.push(`${name}: must be at least ${minLength} characters long`);
    return new Secret(raw);
  };

  const demoFlag = check('OPSBOT_DEMO', z.enum(['0', '1', 'true', 'false'], { message: 'must be 1 or 0' }), '0');
  const kubeconfig = get('KUBECONFIG');
  const context = get('KUBE_CONTEXT');
  const tokenPath = opts.inClusterTokenPath ?? SERVICE_ACCOUNT_TOKEN;
  let kube: KubeConfigSource;
  if (demoFlag === '1' || demoFlag === 'true') {
    kube = { kind: 'demo' };
  } else if (kubeconfig) {
    // KUBECONFIG may list several files separated by ':'; the first must exist.
    const first = resolve(cwd, kubeconfig.split(':')[0] as string);
    if (!existsSync(first)) problems.push(`KUBECONFIG: file not found: ${first}`);
    kube = { kind: 'kubeconfig', path: kubeconfig, ...(context ? { context } : {}) };
  } else if (context) {
    problems.push('KUBE_CONTEXT: set KUBECONFIG too (the file that holds this context)');
    kube = { kind: 'demo' };
  } else if (get('KUBERNETES_SERVICE_HOST') && existsSync(tokenPath)) {
    kube = { kind: 'in-cluster' };
  } else {
    // Deliberately not ~/.kube/config: a laptop's production context is never used without being asked for.
    kube = { kind: 'demo' };
  }
  const demo = kube.kind === 'demo';

  const dataDir = resolve(cwd, get('OPSBOT_DATA_DIR') ?? 'data');
  let policyPath = get('OPSBOT_CONFIG');
  let policyIsExample = false;
  if (policyPath) {
    policyPath = resolve(cwd, policyPath);
    if (!existsSync(policyPath)) problems.push(`OPSBOT_CONFIG: policy file not found: ${policyPath}`);
  } else if (existsSync(resolve(cwd, 'opsbot.yaml'))) {
    policyPath = resolve(cwd, 'opsbot.yaml');
  } else if (demo) {
    policyPath = resolve(cwd, 'opsbot.example.yaml');
    policyIsExample = true;
    notes.push('using the example policy opsbot.example.yaml (demo users alice, bob, carol, dave)');
  } else {
    policyPath = resolve(cwd, 'opsbot.yaml');
    problems.push('OPSBOT_CONFIG: no policy file; copy opsbot.example.yaml to opsbot.yaml and edit it, or set OPSBOT_CONFIG');
  }

  // The shipped runbooks by default; a folder named explicitly must exist.
  const runbooksSet = get('OPSBOT_RUNBOOKS');
  const runbookDirs = (runbooksSet ?? 'runbooks').split(',').map((d) => d.trim()).filter(Boolean).map((d) => resolve(cwd, d));
  if (runbooksSet === undefined && !existsSync(runbookDirs[0] as string)) runbookDirs.length = 0;
  for (const d of runbookDirs) if (!existsSync(d)) problems.push(`OPSBOT_RUNBOOKS: folder not found: ${d}`);
  const chartFont = get('OPSBOT_CHART_FONT');
  if (chartFont && !existsSync(resolve(cwd, chartFont))) problems.push(`OPSBOT_CHART_FONT: font file not found: ${resolve(cwd, chartFont)}`);
  const store = get('OPSBOT_STORE') ?? `sqlite:${resolve(dataDir, 'opsbot.db')}`;
  if (!/^(sqlite:.+|memory:|rediss?:\/\/.+)$/.test(store)) {
    problems.push(`OPSBOT_STORE: must be sqlite:<path> or redis://host:port/db (got "${shorten(String(redactUrl(store)))}")`);
  }

  const llm = llmConfig(get, secret, problems, check);
  // How long audit lines are kept: `0` keeps them forever; at least a day otherwise.
  const auditRetentionMs = check(
    'OPSBOT_AUDIT_RETENTION',
    z.string().transform((v, ctx) => {
      if (v.trim() === '0') return 0;
      const ms = parseDuration(v);
      if (ms === undefined || ms < 86_400_000) {
        ctx.addIssue({ code: 'custom', message: 'must be 0 (keep forever) or a duration of at least 1d, e.g. 90d' });
        return z.NEVER;
      }
      return ms;
    }),
    90 * 86_400_000,
  );

  const count = (name: string, min: number, max: number, dflt: number) =>
    check(name, z.coerce.number({ message: `must be a whole number from ${min} to ${max}` }).int({ message: `must be a whole number from ${min} to ${max}` }).min(min, { message: `must be a whole number from ${min} to ${max}` }).max(max, { message: `must be a whole number from ${min} to ${max}` }), dflt);
  const work = { concurrency: count('OPSBOT_WORK_CONCURRENCY', 1, 1000, 16), queue: count('OPSBOT_WORK_QUEUE', 1, 100_000, 200) };
  if (work.queue < work.concurrency) problems.push(`OPSBOT_WORK_QUEUE: must be at least OPSBOT_WORK_CONCURRENCY (${work.concurrency})`);

  /** A duration variable within bounds (`words` says them: "between 100ms and 5m, e.g. 10s"). */
  const within = (name: string, min: number, max: number, dflt: number, words: string) =>
    check(
      name,
      z.string().transform((v, ctx) => {
        const ms = parseDuration(v);
        if (ms === undefined || ms < min || ms > max) {
          ctx.addIssue({ code: 'custom', message: `must be a duration ${words}` });
          return z.NEVER;
        }
        return ms;
      }),
      dflt,
    );
  const timeout = within('KUBE_TIMEOUT', 100, 300_000, 10_000, 'between 100ms and 5m, e.g. 10s');
  const shutdownTimeoutMs = within('OPSBOT_SHUTDOWN_TIMEOUT', 100, 600_000, 25_000, 'between 100ms and 10m, e.g. 25s');

  // Each platform reads its own variables; any of them set means that platform must be complete.
  const platforms: Record<string, unknown> = {};
  for (const def of opts.platforms ?? PLATFORMS) {
    const vars = new EnvVars(env);
    const c = def.readConfig(vars);
    problems.push(...vars.problems);
    notes.push(...vars.notes);
    if (c !== undefined) platforms[def.id] = c;
  }

  const alertmanagerUrl = check('ALERTMANAGER_URL', url, undefined as string | undefined);
  const prometheusUrl = check('PROMETHEUS_URL', url, undefined as string | undefined);
  const publicUrl = check('OPSBOT_PUBLIC_URL', url, undefined as string | undefined);
  const demoPrometheus = check('OPSBOT_DEMO_PROMETHEUS', z.enum(['auto', 'off'], { message: 'must be auto or off' }), 'auto') === 'auto';
  const webhookToken = secret('ALERTMANAGER_WEBHOOK_TOKEN', 16);
  const consoleToken = secret('CONSOLE_TOKEN', 16);
  const signingKey = secret('OPSBOT_SECRET', 32);
  // Replicas on one store must sign buttons with one key: a key generated per replica would make a card
  // posted by one replica unclickable on another.
  if (/^rediss?:\/\//.test(store) && !signingKey && !get('OPSBOT_SECRET')) problems.push('OPSBOT_SECRET: required with a Redis store — every replica must sign buttons with the same key (generate one: openssl rand -base64 48)');
  const host = get('HOST') ?? (demo ? '127.0.0.1' : '0.0.0.0');
  // What the console's config view shows: every known variable, where its value came from, secrets as
  // set / not set only, URLs without credentials or query.
  const settings: Setting[] = [
    ...CORE_VARS.map((v) => ({ ...v, group: 'core' })),
    ...(opts.platforms ?? PLATFORMS).flatMap((d) => d.vars.map((v) => ({ ...v, group: d.id }))),
  ].map((v) => {
    const raw = get(v.name);
    const secretish = ('secret' in v && v.secret) || /SECRET|TOKEN|_KEY$|AES_KEY|WEBHOOKS|PASSWORD/.test(v.name);
    return { name: v.name, group: v.group, source: raw === undefined ? 'default' : 'env', value: secretish ? (raw === undefined ? '[not set]' : '[set]') : raw === undefined ? (v.default ?? '—') : shorten(String(redactUrl(raw))), meaning: v.meaning };
  });
  const config: Config = {
    settings,
    port: check('PORT', port, 3000),
    host,
    demo,
    demoPort: check('OPSBOT_DEMO_PORT', port, 0),
    policyPath,
    policyIsExample,
    runbookDirs,
    fromEnv: (name) => env[name],
    ...(publicUrl ? { publicUrl } : {}),
    ...(get('OPSBOT_CHART_FONT') ? { chartFont: resolve(cwd, get('OPSBOT_CHART_FONT') as string) } : {}),
    dataDir,
    store,
    kube,
    kubeTimeoutMs: timeout,
    shutdownTimeoutMs,
    auditRetentionMs,
    ...(get('OPSBOT_AUDIT_EXPORT') ? { auditExportDir: resolve(cwd, get('OPSBOT_AUDIT_EXPORT') as string) } : {}),
    work,
    ...(consoleToken ? { consoleToken } : {}),
    ...(signingKey ? { signingKey } : {}),
    logLevel: check('LOG_LEVEL', z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }), 'info'),
    logFormat: check('LOG_FORMAT', z.enum(['json', 'pretty'], { message: 'must be json or pretty' }), demo ? 'pretty' : 'json'),
    llm,
    alerts: { ...(alertmanagerUrl ? { alertmanagerUrl: alertmanagerUrl.replace(/\/+$/, '') } : {}), ...(webhookToken ? { webhookToken } : {}) },
    ...(prometheusUrl ? { prometheusUrl: prometheusUrl.replace(/\/+$/, '') } : {}),
    demoPrometheus,
    platforms,
  };
  if (!isLoopback(host) && !config.consoleToken) {
    notes.push(`the console is disabled: HOST=${host} is not loopback and CONSOLE_TOKEN is not set`);
  }
  return problems.length ? { ok: false, problems } : { ok: true, config, notes };
}

const durationVar = (name: string, min: number, max: number) =>
  z.string().transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `must be a duration between ${min / 1000}s and ${max / 1000}s (e.g. 30s)` });
      return z.NEVER;
    }
    return ms;
  });
const intVar = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number from ${min} to ${max}`);

/** The OpenAI-compatible endpoint and the loop's bounds. */
function llmConfig(
  get: (n: string) => string | undefined,
  secret: (n: string, min?: number) => Secret | undefined,
  problems: string[],
  check: <T>(name: string, schema: z.ZodType<T>, fallback: T) => T,
): LlmConfig {
  const baseUrl = check('LLM_BASE_URL', url, undefined as string | undefined);
  const apiKey = secret('LLM_API_KEY');
  const model = get('LLM_MODEL');
  if ((baseUrl || apiKey) && !model) problems.push('LLM_MODEL: required when LLM_BASE_URL or LLM_API_KEY is set (e.g. gpt-4o-mini, deepseek-chat, qwen-plus)');
  if (model && !baseUrl && !apiKey) problems.push('LLM_BASE_URL: required with LLM_MODEL (or set LLM_API_KEY to use api.openai.com)');
  return {
    ...(baseUrl ? { baseUrl } : {}),
    ...(apiKey ? { apiKey } : {}),
    ...(model ? { model } : {}),
    maxRounds: check('LLM_MAX_ROUNDS', intVar(1, 20), 6),
    requestTimeoutMs: check('LLM_TIMEOUT', durationVar('LLM_TIMEOUT', 1000, 600_000), 30_000),
    deadlineMs: check('LLM_DEADLINE', durationVar('LLM_DEADLINE', 1000, 900_000), 90_000),
    maxRetries: check('LLM_MAX_RETRIES', intVar(0, 6), 2),
    toolResultTokens: check('LLM_TOOL_RESULT_TOKENS', intVar(200, 20_000), 1500),
    stream: check('LLM_STREAM', z.enum(['0', '1', 'true', 'false'], { message: 'must be 1 or 0' }), '0') === '1' || get('LLM_STREAM') === 'true',
    memoryTurns: check('LLM_MEMORY_TURNS', intVar(0, 20), 4),
    memoryTokens: check('LLM_MEMORY_TOKENS', intVar(0, 50_000), 3000),
    memoryTtlMs: check('LLM_MEMORY_TTL', durationVar('LLM_MEMORY_TTL', 60_000, 7 * 86_400_000), 30 * 60_000),
  };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

