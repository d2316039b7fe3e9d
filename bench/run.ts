import { cpus } from 'node:os';
import { benchAcks } from './acks.js';
import { benchStoreGrowth } from './store-growth.js';
import { benchAlerts } from './alerts.js';
import { benchApprovalClicks, benchSqliteTransitions } from './approvals.js';
import { benchDingtalkHttp, benchDingtalkStream } from './dingtalk.js';
import { benchFeishuIngress } from './feishu.js';
import { benchWecom } from './wecom.js';
import { benchPods, benchStartup } from './foundation.js';
import { benchReplicas } from './replicas.js';
import { benchLlmLoop } from './llm.js';
import { benchCharts } from './charts.js';
import { printTable, type Row } from './util.js';

/**
 * `npm run bench`: every figure is a ratio or a bound measured in this one run on this machine
 * (never a timed test). Sections are added per capability.
 */
const sections: [string, () => Promise<Row[]>][] = [
  ['foundation: /pods -A vs bare client-node', benchPods],
  ['foundation: demo start to ready', benchStartup],
  ['approvals: 1,000 concurrent clicks', benchApprovalClicks],
  ['approvals: SQLite transitions', benchSqliteTransitions],
  ['feishu: signed+encrypted ingress', benchFeishuIngress],
  ['feishu: ack latency under /pods load', benchAcks],
  ['store: growth per read-only command and after retention', benchStoreGrowth],
  ['replicas: one and two on Redis, and SQLite', benchReplicas],
  ['dingtalk: Stream frames to ack', benchDingtalkStream],
  ['dingtalk: signed HTTP messages', benchDingtalkHttp],
  ['wecom: encrypted callbacks and click-to-answer', benchWecom],
  ['alerts: webhook to card', benchAlerts],
  ['llm: loop overhead and tool schema size', benchLlmLoop],
  ['charts: 24 h range query of 50 series to PNG', benchCharts],
];

const only = process.argv[2];
console.log(`opsbot bench · node ${process.version} · ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'} · ${new Date().toISOString()}`);
const rows: Row[] = [];
for (const [name, fn] of sections) {
  if (only && !name.includes(only)) continue;
  process.stdout.write(`running ${name}… `);
  const t = performance.now();
  rows.push(...(await fn()));

  console.log(`${((performance.now() - t) / 1000).toFixed(1)} s`);
}
printTable(rows);
process.exit(rows.every((r) => r.ok) ? 0 : 1);
