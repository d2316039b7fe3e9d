/**
 * Fires a realistic Alertmanager notification at a running opsbot (the demo by default), so a new
 * team sees the whole flow without an Alertmanager: `npm run demo:alert` (then `-- --resolve`).
 * `-- --started 20m` says it began firing 20 minutes ago, so that resolving it (a P0 over 10 minutes)
 * posts a postmortem with the timeline of what was done meanwhile.
 * The alert is about the demo cluster's crash-looping order-service, so Investigate-style commands
 * (/pods, /logs order-service --previous) lead straight to the cause.
 */
const args = process.argv.slice(2);
const resolve = args.includes('--resolve');
const url = args.find((a) => a.startsWith('http')) ?? `http://127.0.0.1:${process.env['PORT'] ?? '3000'}/webhooks/alertmanager`;
const startedArg = args[args.indexOf('--started') + 1];
const startedMin = args.includes('--started') ? Number(/^(\d+)m$/.exec(startedArg ?? '')?.[1] ?? NaN) : 3;
if (!Number.isFinite(startedMin)) {
  console.error('--started takes minutes, e.g. --started 20m');
  process.exit(2);
}
const startsAt = new Date(Date.now() - startedMin * 60_000).toISOString();
const labels = { alertname: 'KubePodCrashLooping', severity: 'critical', namespace: 'production', deployment: 'order-service', pod: 'order-service-546bjxrdr2-j7b8p', container: 'order-service' };
const annotations = {
  summary: 'order-service is crash looping (OOMKilled)',
  description: 'Pod production/order-service-546bjxrdr2-j7b8p (container order-service) restarted 14 times in the last 30 minutes; last termination: OOMKilled.',
  runbook_url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping',
};
const body = {
  version: '4',
  groupKey: '{}/{severity=~"critical"}:{alertname="KubePodCrashLooping", namespace="production"}',
  truncatedAlerts: 0,
  status: resolve ? 'resolved' : 'firing',
  receiver: 'opsbot',
  groupLabels: { alertname: labels.alertname, namespace: labels.namespace },
  commonLabels: labels,
  commonAnnotations: annotations,
  externalURL: 'http://alertmanager.example:9093',
  alerts: [{ status: resolve ? 'resolved' : 'firing', labels, annotations, startsAt, endsAt: resolve ? new Date().toISOString() : '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus.example:9090/graph', fingerprint: 'demo0a1b2c3d4e5f' }],
};
const token = process.env['ALERTMANAGER_WEBHOOK_TOKEN'];
const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) }).catch((err: Error) => {
  console.error(`cannot reach ${url}: ${err.message} — is opsbot running (./start.sh)?`);
  process.exit(1);
});
const text = await r.text();
if (!r.ok) {
  console.error(`opsbot answered ${r.status}: ${text}`);
  process.exit(1);
}
const j = JSON.parse(text) as { group: string; level: string; targets: string[] };
console.log(`${resolve ? 'resolved' : 'fired'} ${j.level} alert ${j.group} → ${j.targets.join(', ') || 'no route (policy alerts.routes)'}; ${resolve ? 'the card in the console turns resolved' : 'the card is in the console (keep it open: new cards appear live); Ack it, or run /alerts'}.`);
