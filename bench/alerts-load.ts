import { runLoad } from './http-load.js';

/**
 * Load generator for the Alertmanager webhook, its own process:
 * `tsx bench/alerts-load.ts <url> <notifications> <concurrency> <alerts per group> <run>`. Each
 * notification is a new group (a new card) of `alerts per group` firing alerts, version-4 payloads as
 * Alertmanager sends them.
 */
const [url, nArg, cArg, perArg, runArg] = process.argv.slice(2);
const n = Number(nArg ?? 2000);
const per = Number(perArg ?? 1);
const run = runArg ?? '0';
const reqs = Array.from({ length: n }, (_, i) => {
  const alertname = `BenchAlert${run}x${i}`;
  const alerts = Array.from({ length: per }, (_, j) => ({
    status: 'firing',
    labels: { alertname, severity: 'warning', namespace: 'production', pod: `pod-${j}` },
    annotations: { summary: `bench ${i}/${j}` },
    startsAt: new Date().toISOString(),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: `${run}${i.toString(16)}x${j.toString(16)}`,
  }));
  const body = { version: '4', groupKey: `{}:{alertname="${alertname}"}`, truncatedAlerts: 0, status: 'firing', receiver: 'opsbot', groupLabels: { alertname }, commonLabels: { alertname, severity: 'warning', namespace: 'production' }, commonAnnotations: {}, externalURL: 'http://am:9093', alerts };
  return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
});
await runLoad(url as string, Number(cArg ?? 16), reqs);
