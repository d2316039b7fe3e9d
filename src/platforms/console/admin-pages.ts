/**
 * The console's read-only operator pages: Tools (every command with the schema the LLM sees, and a
 * try-it box that runs a read-only command as the chosen person) and Config (every setting with its
 * source, secrets as set / not set; the policy's people, roles and approval chains). Configuration
 * stays in files under version control: nothing here edits it. Text goes in with textContent only.
 */
const STYLE = `:root{--bg:#f4f5f7;--card:#fff;--ink:#1f2329;--mute:#646a73;--line:#dee0e3;--info:#3370ff;--warn:#ff8800}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 -apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei",sans-serif;background:var(--bg);color:var(--ink)}
header{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:8px 12px;display:flex;flex-wrap:wrap;gap:10px;align-items:center;z-index:2}
header b{font-size:16px}header a{color:var(--info);text-decoration:none;font-size:14px}
main{max-width:1000px;margin:0 auto;padding:12px}
.card{background:var(--card);border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:10px 14px;margin:0 0 12px;overflow-wrap:anywhere}
h2{font-size:15px;margin:0 0 6px}h3{font-size:14px;margin:10px 0 4px;color:var(--mute)}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:3px 8px 3px 0;border-bottom:1px solid #f0f1f2;vertical-align:top}th{color:var(--mute);font-weight:500}td:first-child{white-space:nowrap}
code,pre{font-size:12px;background:#f0f1f3;border-radius:4px}code{padding:1px 4px}pre{padding:8px;white-space:pre-wrap;overflow-wrap:anywhere;margin:6px 0}
.tag{display:inline-block;font-size:12px;border-radius:4px;padding:0 6px;margin-left:6px;background:#e8f0ff;color:var(--info)}.tag.change{background:#fff3e0;color:var(--warn)}
.env{color:var(--info)}.mute{color:var(--mute)}
form{display:flex;gap:6px;flex-wrap:wrap;margin-top:6px}form input{flex:1;min-width:200px;font-size:14px;padding:5px 8px;border:1px solid var(--line);border-radius:6px}
button{border:1px solid var(--line);background:#fff;border-radius:6px;padding:5px 10px;font-size:14px;cursor:pointer}select{font-size:14px;padding:4px}
@media (max-width:600px){table,tbody,tr,td,th{display:block;width:100%}tr:first-child{display:none}tr{border-bottom:1px solid var(--line);padding:4px 0}td{border:0;padding:1px 0}td:first-child{white-space:normal;font-weight:600}td[data-label]::before{content:attr(data-label) ": ";color:var(--mute)}}`;

const COMMON = (tokenRequired: boolean) => `
const TOKEN_REQUIRED = ${tokenRequired ? 'true' : 'false'};
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
function headers() { const h = {'content-type': 'application/json'}; if (TOKEN_REQUIRED) { let t = sessionStorage.getItem('opsbot-token'); if (!t) { t = prompt('Console token (CONSOLE_TOKEN)') || ''; sessionStorage.setItem('opsbot-token', t); } h.authorization = 'Bearer ' + t; } return h; }
async function api(path, body) {
  const res = await fetch('/console/api/' + path, body ? {method: 'POST', headers: headers(), body: JSON.stringify(body)} : {headers: headers()});
  const data = await res.json().catch(() => ({})); if (res.status === 401) sessionStorage.removeItem('opsbot-token');
  if (!res.ok) throw new Error(data.error || res.statusText); return data;
}
function table(columns, rows) {
  const t = el('table'), tr = el('tr'); for (const c of columns) tr.appendChild(el('th', null, c)); t.appendChild(tr);
  for (const r of rows) { const row = el('tr'); r.forEach((c, i) => { const td = el('td'); if (c instanceof Node) td.appendChild(c); else td.textContent = c; td.dataset.label = columns[i]; row.appendChild(td); }); t.appendChild(row); }
  return t;
}`;

function page(title: string, body: string, script: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>opsbot ${title}</title><link rel="icon" href="/favicon.svg" type="image/svg+xml"><style>${STYLE}</style></head>
<body><header><b>opsbot</b><span>${title}</span><a href="/console">console</a><a href="/console/status">status</a><a href="/console/tools">tools</a><a href="/console/config">config</a></header>
<main id="main">${body}</main><script>${script}</script></body></html>`;
}

export function toolsPage(o: { tokenRequired: boolean }): string {
  return page(
    'tools · 命令',
    '<div class="card" id="intro"></div>',
    `${COMMON(o.tokenRequired)}
const main = document.getElementById('main');
(async () => {
  const [{commands}, {users}] = await Promise.all([api('tools'), api('users')]);
  const intro = document.getElementById('intro');
  intro.appendChild(el('h2', null, commands.length + ' commands — the same schemas the LLM gets as tools'));
  intro.appendChild(el('div', 'mute', 'Try a read-only command as someone of the policy; changes are requested in the chat, where they need an approval.'));
  const who = el('select'); for (const u of users) { const op = el('option', null, u.name + ' · ' + u.roles.join(',')); op.value = u.user; who.appendChild(op); } intro.appendChild(who);
  for (const c of commands) {
    const card = el('div', 'card'); card.id = 'tool-' + c.name;
    const h = el('h2', null, '/' + c.name); h.appendChild(el('span', c.mutating ? 'tag change' : 'tag', c.mutating ? 'needs approval · risk ' + c.mutating.risk : 'read-only')); card.appendChild(h);
    card.appendChild(el('div', null, c.summary.en + ' · ' + c.summary.zh));
    card.appendChild(el('code', null, c.usage));
    if (c.tool) { const d = el('details'); d.appendChild(el('summary', 'mute', 'LLM tool schema')); d.appendChild(el('pre', null, JSON.stringify(c.tool, null, 2))); card.appendChild(d); }
    if (!c.mutating) {
      const f = el('form'); const input = el('input'); input.value = (c.examples && c.examples[0]) || '/' + c.name; const run = el('button', null, 'Run'); run.type = 'submit';
      const out = el('pre'); out.hidden = true;
      f.onsubmit = async (ev) => { ev.preventDefault(); out.hidden = false; out.textContent = '…';
        try { const r = await api('send', {user: who.value, text: input.value, chat: 'tools'}); out.textContent = r.cards.map((x) => x.title + '\\n' + x.text).join('\\n\\n'); } catch (e) { out.textContent = 'error: ' + e.message; } };
      f.appendChild(input); f.appendChild(run); card.appendChild(f); card.appendChild(out);
    }
    main.appendChild(card);
  }
})().catch((e) => main.appendChild(el('div', 'card', 'error: ' + e.message)));`,
  );
}

export function configPage(o: { tokenRequired: boolean }): string {
  return page(
    'config · 配置',
    '',
    `${COMMON(o.tokenRequired)}
const main = document.getElementById('main');
(async () => {
  const c = await api('config');
  const intro = el('div', 'card'); intro.appendChild(el('h2', null, 'Effective configuration (read-only)'));
  intro.appendChild(el('div', 'mute', 'Set in the environment (config.env) and the policy file ' + c.policy.file + '; edit them there, under version control. Secrets show only whether they are set.'));
  main.appendChild(intro);
  const groups = [...new Set(c.settings.map((s) => s.group))];
  for (const g of groups) {
    const vars = c.settings.filter((s) => s.group === g);
    const on = g === 'core' || vars.some((s) => s.source === 'env');
    const card = el('div', 'card');
    const t = table(['Variable', 'Value', 'Source', 'Meaning'], vars.map((s) => [s.name, s.value, el('span', s.source === 'env' ? 'env' : 'mute', s.source), s.meaning]));
    // A platform nothing is set for is off: its variables fold away.
    if (on) { card.appendChild(el('h2', null, g === 'core' ? 'Core' : g)); card.appendChild(t); }
    else { const d = el('details'); d.appendChild(el('summary', null, g + ' — not configured (' + vars.length + ' variables)')); d.appendChild(t); card.appendChild(d); }
    main.appendChild(card);
  }
  const p = c.policy;
  const pol = el('div', 'card'); pol.appendChild(el('h2', null, 'Policy · 策略'));
  pol.appendChild(table(['Setting', 'Value'], [['Language', p.language], ['Time zone', p.timezone], ['Namespaces', p.namespaces.allow.join(', ') + ' (default ' + p.namespaces.default + ')'], ['Approval expiry', p.approvals.expiry], ['Self-approval', p.approvals.allowSelfApproval ? 'allowed' : 'not allowed']]));
  pol.appendChild(el('h3', null, 'People'));
  pol.appendChild(table(['Person', 'Name', 'Roles', 'Chat ids'], p.people.map((x) => [x.id, x.name, x.roles.join(', '), x.platforms.join(', ')])));
  pol.appendChild(el('h3', null, 'Roles'));
  pol.appendChild(table(['Role', 'Commands', 'Namespaces'], p.roles.map((r) => [r.name, r.commands.join(', '), r.namespaces.join(', ')])));
  pol.appendChild(el('h3', null, 'Approval chains'));
  pol.appendChild(table(['Risk', 'Steps', 'Self-approval'], p.approvals.chains.map((a) => [a.risk, a.steps.join(' → '), a.allowSelfApproval === undefined ? 'as above' : a.allowSelfApproval ? 'allowed' : 'not allowed'])));
  if (p.approvals.autoApprove.length) { pol.appendChild(el('h3', null, 'Auto-approve rules')); pol.appendChild(table(['Command', 'Namespaces', 'Max replicas'], p.approvals.autoApprove.map((r) => [r.command, r.namespaces.join(', '), r.maxReplicas ?? '—']))); }
  main.appendChild(pol);
})().catch((e) => main.appendChild(el('div', 'card', 'error: ' + e.message)));`,
  );
}
