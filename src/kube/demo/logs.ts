import { createHash } from 'node:crypto';
import type { DemoCluster } from './cluster.js';
import { FAULT_ANNOTATION, type Pod } from './types.js';

/** At most this many lines exist per container run (the kubelet rotates logs too). */
const MAX_LINES = 5000;

export interface LogQuery {
  container?: string;
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
}

export class LogError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/**
 * The log of one container, generated deterministically from the pod name and line index, so repeated
 * reads agree and `--tail`/`--since` cut the same stream. Healthy apps write JSON access/job logs;
 * the crash-looping order-service pod ends with a Java OutOfMemoryError.
 */
export function podLogs(c: DemoCluster, pod: Pod, q: LogQuery): string {
  const names = pod.spec.containers.map((ct) => ct.name);
  let container = q.container;
  if (!container) {
    const dflt = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
    if (dflt && names.includes(dflt)) container = dflt;
    else if (names.length === 1) container = names[0];
    else throw new LogError(400, `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`);
  }
  if (!container || !names.includes(container)) {
    throw new LogError(400, `container ${container} is not valid for pod ${pod.metadata.name}`);
  }
  const cs = pod.status.containerStatuses?.find((s) => s.name === container);
  const crash = pod.metadata.annotations?.[FAULT_ANNOTATION] === 'oom-crashloop';
  if (q.previous && !(cs && cs.restartCount > 0)) {
    throw new LogError(400, `previous terminated container "${container}" in pod "${pod.metadata.name}" not found`);
  }
  if (!cs || (!cs.state['running'] && !crash && !cs.state['terminated'])) {
    const reason = String(cs?.state['waiting']?.['reason'] ?? 'ContainerCreating');
    throw new LogError(400, `container "${container}" in pod "${pod.metadata.name}" is waiting to start: ${reason}`);
  }
  const now = c.now();
  let lines: { ts: number; text: string }[];
  if (crash) {
    const last = cs.lastState['terminated'] ?? {};
    const end = Date.parse(String(last['finishedAt'] ?? new Date(now).toISOString()));
    lines = javaCrashRun(pod.metadata.name, q.previous ? end - 300_000 : end, cs.restartCount - (q.previous ? 1 : 0));
  } else {
    const started = Date.parse(String(cs.state['running']?.['startedAt'] ?? pod.metadata.creationTimestamp));
    lines = steadyLines(pod, container, started, now);
  }
  // Demo and tests: a line to append to the log (e.g. a prompt-injection attempt for the LLM tests).
  const extra = pod.metadata.annotations?.['demo.opsbot.dev/extra-log'];
  if (extra) lines.push({ ts: now, text: extra });
  if (q.sinceSeconds !== undefined) lines = lines.filter((l) => l.ts >= now - q.sinceSeconds! * 1000);
  if (q.tailLines !== undefined) lines = q.tailLines <= 0 ? [] : lines.slice(-q.tailLines);
  return lines.map((l) => (q.timestamps ? `${new Date(l.ts).toISOString().replace('Z', '000000Z')} ${l.text}` : l.text)).join('\n') + (lines.length ? '\n' : '');
}

function rand(seed: string, i: number): number {
  const h = createHash('sha1').update(`${seed}#${i}`).digest();
  return h.readUInt32BE(0) / 0x1_0000_0000;
}

const pick = <T>(arr: readonly T[], r: number): T => arr[Math.floor(r * arr.length) % arr.length] as T;

function steadyLines(pod: Pod, container: string, started: number, now: number): { ts: number; text: string }[] {
  const app = pod.metadata.labels?.['app'] ?? container;
  const interval = container === 'log-agent' ? 10_000 : app === 'api-gateway' ? 1_500 : app.includes('worker') || app === 'data-export' ? 8_000 : app === 'coredns' ? 4_000 : 3_000;
  const total = Math.floor(Math.max(0, now - started) / interval);
  const first = Math.max(0, total - MAX_LINES);
  const out: { ts: number; text: string }[] = [];
  for (let i = first; i < total; i++) {
    const ts = started + i * interval + Math.floor(rand(pod.metadata.name, i) * interval * 0.8);
    out.push({ ts, text: lineFor(app, container, pod, i, ts) });
  }
  return out;
}

const PATHS = ['/api/v1/orders', '/api/v1/orders/{id}', '/api/v1/users/{id}', '/api/v1/cart', '/api/v1/payments', '/api/v1/products', '/healthz'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'GET', 'PUT'];

function lineFor(app: string, container: string, pod: Pod, i: number, ts: number): string {
  const r = (k: number) => rand(`${pod.metadata.name}/${container}`, i * 8 + k);
  const time = new Date(ts).toISOString();
  if (container === 'log-agent') {
    return JSON.stringify({ time, level: 'info', msg: 'shipped batch', events: 40 + Math.floor(r(1) * 400), sink: 'sls://acme-prod/app-logs', lag_ms: Math.floor(r(2) * 900) });
  }
  if (app === 'coredns') {
    const q = pick(['order-service', 'payment-service', 'user-service', 'api-gateway', 'redis-master'], r(1));
    return `[INFO] 172.20.${Math.floor(r(2) * 3)}.${Math.floor(r(3) * 250)}:${40000 + Math.floor(r(4) * 20000)} - ${Math.floor(r(5) * 65535)} "A IN ${q}.production.svc.cluster.local. udp 74 false 1232" NOERROR qr,aa,rd 136 0.000${100 + Math.floor(r(6) * 800)}s`;
  }
  if (app.includes('worker') || app === 'data-export') {
    const fail = r(1) < 0.03;
    return JSON.stringify({
      time,
      level: fail ? 'warn' : 'info',
      logger: `${app}.consumer`,
      msg: fail ? 'retrying message after upstream timeout' : 'processed batch',
      topic: app === 'notification-worker' ? 'notify.sms' : 'jobs.default',
      batch_id: `${Math.floor(ts / 1000)}-${i}`,
      items: 1 + Math.floor(r(2) * 200),
      duration_ms: 20 + Math.floor(r(3) * 900),
    });
  }
  const status = r(1) < 0.02 ? pick([500, 502, 504], r(2)) : r(1) < 0.07 ? pick([400, 401, 404, 429], r(2)) : pick([200, 200, 200, 201, 204], r(2));
  const path = pick(PATHS, r(3)).replace('{id}', String(100000 + Math.floor(r(4) * 900000)));
  return JSON.stringify({
    time,
    level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
    logger: `${app}.access`,
    msg: 'request completed',
    method: pick(METHODS, r(5)),
    path,
    status,
    latency_ms: Math.floor((status >= 500 ? 800 : 4) + r(6) * (status >= 500 ? 4000 : 180)),
    remote_ip: `10.12.${Math.floor(r(7) * 4)}.${Math.floor(r(0) * 250)}`,
    trace_id: createHash('md5').update(`${pod.metadata.name}:${i}`).digest('hex'),
  });
}

/** One run of the order-service JVM: Spring Boot starts, takes traffic, the export job exhausts the heap. */
function javaCrashRun(pod: string, end: number, run: number): { ts: number; text: string }[] {
  const start = end - 95_000;
  const fmt = (ts: number) => new Date(ts + 8 * 3_600_000).toISOString().replace('T', ' ').replace('Z', '');
  const out: { ts: number; text: string }[] = [];
  const log = (ts: number, level: string, thread: string, logger: string, msg: string) =>
    out.push({ ts, text: `${fmt(ts)} ${level.padStart(5)} 1 --- [${thread.padStart(15)}] ${logger.padEnd(40)} : ${msg}` });
  log(start, 'INFO', 'main', 'com.acme.order.OrderApplication', `Starting OrderApplication v1.8.2 using Java 21.0.5 with PID 1 (/app/app.jar started by app in /app)`);
  log(start + 300, 'INFO', 'main', 'com.acme.order.OrderApplication', 'The following 1 profile is active: "prod"');
  log(start + 4100, 'INFO', 'main', 'o.s.b.w.embedded.tomcat.TomcatWebServer', 'Tomcat initialized with port 8080 (http)');
  log(start + 6900, 'INFO', 'main', 'com.zaxxer.hikari.HikariDataSource', 'HikariPool-1 - Start completed.');
  log(start + 9800, 'INFO', 'main', 'o.s.b.w.embedded.tomcat.TomcatWebServer', 'Tomcat started on port 8080 (http) with context path \'/\'');
  log(start + 9900, 'INFO', 'main', 'com.acme.order.OrderApplication', 'Started OrderApplication in 10.214 seconds (process running for 11.02)');
  for (let i = 0; i < 24; i++) {
    const ts = start + 11_000 + i * 2_900;
    out.push({ ts, text: JSON.stringify({ time: new Date(ts).toISOString(), level: 'info', logger: 'order-service.access', msg: 'request completed', method: i % 4 ? 'GET' : 'POST', path: `/api/v1/orders/${800000 + ((i * 7919 + run * 31) % 99999)}`, status: 200, latency_ms: 11 + ((i * 37) % 90) }) });
  }
  log(end - 12_000, 'INFO', 'scheduling-1', 'c.acme.order.service.OrderExportJob', `Nightly export started: 1,842,311 orders (batch ${pod.slice(-5)}-${run})`);
  log(end - 4_000, 'WARN', 'scheduling-1', 'c.acme.order.service.OrderExportJob', 'Heap usage 94% (842MB/896MB) while loading export batch');
  log(end - 900, 'ERROR', 'scheduling-1', 'o.s.s.s.TaskUtils$LoggingErrorHandler', 'Unexpected error occurred in scheduled task');
  const trace = [
    'java.lang.OutOfMemoryError: Java heap space',
    '\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)',
    '\tat java.base/java.util.ArrayList.grow(ArrayList.java:237)',
    '\tat java.base/java.util.ArrayList.add(ArrayList.java:484)',
    '\tat com.acme.order.repository.OrderRepository.findAllForExport(OrderRepository.java:142)',
    '\tat com.acme.order.service.OrderExportJob.exportBatch(OrderExportJob.java:97)',
    '\tat com.acme.order.service.OrderExportJob.run(OrderExportJob.java:61)',
    '\tat org.springframework.scheduling.support.ScheduledMethodRunnable.run(ScheduledMethodRunnable.java:130)',
    '\tat org.springframework.scheduling.support.DelegatingErrorHandlingRunnable.run(DelegatingErrorHandlingRunnable.java:54)',
    '\tat java.base/java.util.concurrent.Executors$RunnableAdapter.call(Executors.java:572)',
    '\tat java.base/java.util.concurrent.FutureTask.runAndReset(FutureTask.java:358)',
    '\tat java.base/java.util.concurrent.ScheduledThreadPoolExecutor$ScheduledFutureTask.run(ScheduledThreadPoolExecutor.java:305)',
    '\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1144)',
    '\tat java.base/java.lang.Thread.run(Thread.java:1583)',
  ];
  trace.forEach((t) => out.push({ ts: end - 900, text: t }));
  out.push({ ts: end - 200, text: 'Terminating due to java.lang.OutOfMemoryError: Java heap space' });
  return out;
}
