import { createHash } from 'node:crypto';
import type { DemoCluster } from './cluster.js';
import { cpuCores, memoryBytes } from '../quantity.js';

/** A stable number in [0, 1) from a name: each pod keeps its own load profile across scrapes. */
function unit(name: string): number {
  return createHash('sha256').update(name).digest().readUInt32BE(0) / 2 ** 32;
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;

/**
 * The demo cluster's series in Prometheus exposition format, as cAdvisor and kube-state-metrics would
 * expose them for its pods and deployments: CPU counters (each pod a steady share of its request with a
 * slow daily swing, a crash-looping container near nothing), working-set memory (the OOM-killed one near
 * its limit), restarts, deployment replicas, and request counters for the services that serve HTTP.
 * Counters are integrals over the pod's life, so rate() reads the intended value.
 */
export function demoExposition(c: DemoCluster, nowMs: number): string {
  const out: string[] = [];
  const cpu: string[] = [];
  const mem: string[] = [];
  const restarts: string[] = [];
  const reqs: string[] = [];
  const day = 86_400;
  for (const p of c.pods.values()) {
    if (p.status.phase !== 'Running' && p.status.phase !== 'Pending') continue;
    // cAdvisor only sees containers that run: a pending pod has restarts (kube-state-metrics), no usage.
    const running = p.status.phase === 'Running';
    const ns = p.metadata.namespace ?? 'default';
    const pod = p.metadata.name;
    const born = c.createdAt.get(p.metadata.uid) ?? nowMs;
    const age = Math.max(0, (nowMs - born) / 1000);
    for (const ct of p.spec.containers) {
      const status = p.status.containerStatuses?.find((s) => s.name === ct.name);
      const l = { namespace: ns, pod, container: ct.name };
      const request = cpuCores(ct.resources?.requests?.['cpu']) || 0.1;
      const u = unit(`${pod}/${ct.name}`);
      const crashing = Boolean(status && !status.ready && status.restartCount > 0);
      // Mean share of the request, and a ±20 % swing over the day (its integral is closed form).
      const share = crashing ? 0.02 : 0.3 + 0.5 * u;
      const mean = request * share;
      const phase = u * 2 * Math.PI;
      const t1 = nowMs / 1000;
      const t0 = t1 - age;
      const swing = (t: number) => (-Math.cos((2 * Math.PI * t) / day + phase) * day) / (2 * Math.PI);
      const used = mean * age + 0.2 * mean * (swing(t1) - swing(t0));
      if (running) cpu.push(`container_cpu_usage_seconds_total${labels(l)} ${used.toFixed(3)}`);
      const limit = memoryBytes(ct.resources?.limits?.['memory']) || memoryBytes(ct.resources?.requests?.['memory']) * 2 || 256 * 1024 * 1024;
      const lastReason = (status?.lastState['terminated'] as { reason?: string } | undefined)?.reason;
      const ws = lastReason === 'OOMKilled' ? limit * (0.9 + 0.08 * u) : limit * (0.25 + 0.4 * u);
      if (running) mem.push(`container_memory_working_set_bytes${labels(l)} ${Math.round(ws)}`);
      restarts.push(`kube_pod_container_status_restarts_total${labels(l)} ${status?.restartCount ?? 0}`);
      if (running && ct.ports?.length && !crashing) {
        const rps = 5 + 45 * u;
        for (const [code, part] of [['200', 0.97], ['500', 0.01], ['404', 0.02]] as const) reqs.push(`http_requests_total${labels({ namespace: ns, pod, code })} ${Math.floor(rps * part * age)}`);
      }
    }
  }
  out.push('# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.', '# TYPE container_cpu_usage_seconds_total counter', ...cpu);
  out.push('# HELP container_memory_working_set_bytes Current working set in bytes.', '# TYPE container_memory_working_set_bytes gauge', ...mem);
  out.push('# HELP kube_pod_container_status_restarts_total The number of container restarts per container.', '# TYPE kube_pod_container_status_restarts_total counter', ...restarts);
  out.push('# HELP kube_deployment_spec_replicas Number of desired pods for a deployment.', '# TYPE kube_deployment_spec_replicas gauge');
  const available: string[] = [];
  for (const d of c.deployments.values()) {
    const l = { namespace: d.metadata.namespace ?? 'default', deployment: d.metadata.name };
    out.push(`kube_deployment_spec_replicas${labels(l)} ${d.spec.replicas}`);
    available.push(`kube_deployment_status_replicas_available${labels(l)} ${Number(d.status['availableReplicas'] ?? 0)}`);
  }
  out.push('# HELP kube_deployment_status_replicas_available The number of available replicas per deployment.', '# TYPE kube_deployment_status_replicas_available gauge', ...available);
  out.push('# HELP http_requests_total Requests served, by response code.', '# TYPE http_requests_total counter', ...reqs);
  return `${out.join('\n')}\n`;
}
