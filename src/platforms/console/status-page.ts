/**
 * The console's status page: is the bot healthy? Each platform's transport (long connection up or down,
 * since when, reconnects, last event, last send error), the cluster, the LLM, the store, the outbound
 * queue and dead letters, firing alerts and open approvals — refreshed every 5 seconds from
 * /console/api/status. Text goes in with textContent only.
 */
export function statusPage(opts: { tokenRequired: boolean }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>opsbot status</title><link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>
:root{--bg:#f4f5f7;--card:#fff;--ink:#1f2329;--mute:#646a73;--line:#dee0e3;--ok:#34c724;--bad:#f54a45;--warn:#ff8800;--info:#3370ff}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 -apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei",sans-serif;background:var(--bg);color:var(--ink)}
header{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:8px 12px;display:flex;gap:10px;align-items:center;z-index:2}
header b{font-size:16px}header a{color:var(--info);text-decoration:none;font-size:14px}header .note{color:var(--mute);font-size:13px;margin-left:auto}
main{max-width:960px;margin:0 auto;padding:12px;display:grid;grid-template-columns:repeat(auto-fill,minmax(290px,1fr));gap:12px}
#overall{grid-column:1/-1;border-radius:10px;padding:10px 14px;font-weight:600;color:#fff;background:var(--mute)}
#overall.ok{background:var(--ok)}#overall.bad{background:var(--bad)}
.card{background:var(--card);border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);border-top:4px solid var(--line);padding:10px 14px}
.card.ok{border-color:var(--ok)}.card.bad{border-color:var(--bad)}.card.warn{border-color:var(--warn)}
.card h2{font-size:15px;margin:0 0 6px}.card h2 small{color:var(--mute);font-weight:400}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:0;font-size:14px}dt{color:var(--mute)}dd{margin:0;overflow-wrap:anywhere}
.err{color:var(--bad)}
</style></head>
<body>
<header><b>opsbot</b><span>status · 运行状态</span><a href="/console">← console</a><span class="note" id="at"></span></header>
<main id="main"><div id="overall">…</div></main>
<script>
const TOKEN_REQUIRED = ${opts.tokenRequired ? 'true' : 'false'};
const main = document.getElementById('main');
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
function ago(ms) {
  if (!ms) return '—';
  const s = Math.round((Date.now() - ms) / 1000);
  const t = s < 60 ? s + ' s' : s < 3600 ? Math.round(s / 60) + ' min' : s < 86400 ? Math.round(s / 3600) + ' h' : Math.round(s / 86400) + ' d';
  return t + ' ago · ' + new Date(ms).toLocaleTimeString('en-GB');
}
function card(title, sub, state, fields) {
  const c = el('div', 'card ' + state); const h = el('h2', null, (state === 'ok' ? '✅ ' : state === 'bad' ? '❌ ' : state === 'warn' ? '⚠️ ' : '') + title);
  if (sub) h.appendChild(el('small', null, ' · ' + sub)); c.appendChild(h);
  const dl = el('dl');
  for (const [k, v, bad] of fields) { if (v === undefined || v === null || v === '') continue; dl.appendChild(el('dt', null, k)); dl.appendChild(el('dd', bad ? 'err' : null, String(v))); }
  c.appendChild(dl); return c;
}
const STATE = { open: 'connected', connecting: 'connecting…', waiting: 'down — reconnecting', idle: 'not started', stopped: 'stopped' };
function render(s) {
  main.textContent = '';
  const o = el('div', s.ok ? 'ok' : 'bad', s.ok ? '✅ All components are healthy · 一切正常' : '❌ Something needs attention · 有组件异常');
  o.id = 'overall'; main.appendChild(o);
  for (const p of s.platforms) {
    const c = p.connection;
    main.appendChild(card(p.title, p.transport, p.ok ? 'ok' : 'bad', [
      ['Connection', c ? STATE[c.state] + ' since ' + ago(c.since) : p.transport === 'long connection' ? 'not started' : undefined, c && c.state !== 'open'],
      ['Reconnects', c ? String(Math.max(0, c.opened - 1)) + ' (' + c.failures + ' failures)' : undefined],
      ['Last error', c && c.lastError ? c.lastError : undefined, true],
      ['Last event', ago(p.lastEventAt) + (p.events ? ' (' + p.events + ' since start)' : '')],
      ['Cards sent', p.sends ? p.sends + ' · last ' + ago(p.lastSendAt) : '0'],
      ['Last send error', p.lastSendError ? p.lastSendError.reason + ' (' + ago(p.lastSendError.at) + ')' : undefined, true],
      ...Object.entries(p.facts).map(([k, v]) => [k, v]),
    ]));
  }
  const k = s.kubernetes;
  main.appendChild(card('Kubernetes', k.context, k.ok ? 'ok' : 'bad', [['Version', k.version], ['Latency', k.latencyMs != null ? k.latencyMs + ' ms' : undefined], ['Error', k.error, true]]));
  const l = s.llm;
  main.appendChild(card('LLM', l.configured ? l.model : 'not configured', !l.configured ? '' : l.ok ? 'ok' : 'bad', l.configured ? [['Server', l.baseUrl || 'api.openai.com'], ['Today', l.requests + ' requests · ' + l.tokensIn + ' tokens in · ' + l.tokensOut + ' out'], ['Last answer', ago(l.lastOkAt)], ['Last error', l.lastError ? l.lastError.reason + ' (' + ago(l.lastError.at) + ')' : undefined, true]] : [['Plain-language requests', 'off — set LLM_MODEL (README)']]));
  main.appendChild(card('Store', 'SQLite', s.store.ok ? 'ok' : 'bad', [['Error', s.store.error, true]]));
  const q = s.outbound;
  main.appendChild(card('Outbound queue', 'alerts · notifications', q.deadLetters24h ? 'warn' : 'ok', [['Waiting', q.queued], ['Sending', q.running], ['Dead letters (24 h)', q.deadLetters24h, q.deadLetters24h > 0], ['Last dead letter', q.lastDeadLetter ? q.lastDeadLetter.reason + ' (' + ago(q.lastDeadLetter.at) + ')' : undefined, true]]));
  if (q.deadLetters && q.deadLetters.length) {
    const c = card('Dead letters', 'not delivered · kept 7 days', 'warn', []);
    for (const d of q.deadLetters) {
      const row = el('div'); row.style.margin = '6px 0';
      row.appendChild(el('div', null, d.target + ' · ' + (d.title || '(not rendered)')));
      row.appendChild(el('div', 'err', d.reason + ' (' + ago(d.at) + ')'));
      if (d.retryable) {
        const b = el('button', null, 'Retry'); b.dataset.key = d.key;
        b.onclick = async () => { b.disabled = true; b.textContent = 'Retrying…';
          try { const res = await fetch('/console/api/dead-letters/retry', {method: 'POST', headers: Object.assign({'content-type': 'application/json'}, auth()), body: JSON.stringify({key: d.key, user: localStorage.getItem('opsbot-user') || ''})});
            const j = await res.json().catch(() => ({})); b.textContent = res.ok && j.ok ? 'Delivered ✓' : 'Failed: ' + (j.error || j.reason || res.status); } catch (e) { b.textContent = 'Failed: ' + e.message; } };
        row.appendChild(b);
      }
      c.appendChild(row);
    }
    main.appendChild(c);
  }
  main.appendChild(card('Alerts', 'firing', s.alerts.firing ? 'warn' : 'ok', [['Firing groups', s.alerts.firing], ...Object.entries(s.alerts.byLevel).map(([lv, n]) => [lv, n])]));
  main.appendChild(card('Approvals', 'open', '', [['Waiting for a decision', s.approvals.open], ['Executing', s.approvals.executing]]));
  document.getElementById('at').textContent = 'updated ' + new Date(s.at).toLocaleTimeString('en-GB');
}
function auth() {
  const h = {};
  if (TOKEN_REQUIRED) { let t = sessionStorage.getItem('opsbot-token'); if (!t) { t = prompt('Console token (CONSOLE_TOKEN)') || ''; sessionStorage.setItem('opsbot-token', t); } h.authorization = 'Bearer ' + t; }
  return h;
}
async function load() {
  const h = auth();
  try {
    const res = await fetch('/console/api/status', {headers: h});
    if (res.status === 401) sessionStorage.removeItem('opsbot-token');
    if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error || res.statusText);
    render(await res.json());
  } catch (e) { const o = document.getElementById('overall') || el('div'); o.className = 'bad'; o.textContent = '❌ status unavailable: ' + e.message; }
}
load(); setInterval(load, 5000);
</script></body></html>`;
}
