/**
 * The console page: one HTML document, no build step, no external assets. Every piece of card text is
 * put in the DOM with textContent, so pod names, log lines and (later) LLM output cannot inject markup.
 */
export function consolePage(opts: { tokenRequired: boolean }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>opsbot console</title><link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>
:root{--bg:#f4f5f7;--card:#fff;--ink:#1f2329;--mute:#646a73;--line:#dee0e3;--info:#3370ff;--success:#34c724;--warning:#ff8800;--danger:#f54a45}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 -apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei",sans-serif;background:var(--bg);color:var(--ink)}
header{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:8px 12px;display:flex;flex-wrap:wrap;gap:8px;align-items:center;z-index:2}
header b{font-size:16px}header a{font-size:13px;color:var(--info);text-decoration:none}header select{margin-left:auto;font-size:14px;padding:4px}header button{padding:4px 10px;font-size:13px}
#panel{position:fixed;top:46px;right:0;bottom:0;width:min(520px,100%);background:var(--bg);box-shadow:-4px 0 16px rgba(0,0,0,.15);z-index:5;overflow-y:auto;padding:8px 12px 24px}#panel:empty{display:none}#panel .card{border-color:var(--mute)}
#panel .close{position:sticky;top:0;float:right;margin:2px 0 6px;z-index:1}
#feed{max-width:760px;margin:0 auto;padding:12px 12px 90px}
img.chart{display:block;max-width:100%;height:auto;margin:6px 0;border:1px solid var(--line);border-radius:6px;background:#fff}
.msg{margin:10px 0 4px;color:var(--mute);font-size:13px}.msg code{background:#e8eaed;padding:1px 5px;border-radius:4px;color:var(--ink);overflow-wrap:anywhere}
.card{background:var(--card);border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);margin:6px 0 14px;overflow:hidden;border-top:4px solid var(--info)}
.card.success{border-color:var(--success)}.card.warning{border-color:var(--warning)}.card.danger{border-color:var(--danger)}
.title{font-weight:600;padding:10px 14px 4px}.body{padding:2px 14px 10px}.body>*{margin:8px 0}
table{border-collapse:collapse;width:100%;font-size:13px;display:block;overflow-x:auto}th,td{text-align:left;padding:3px 8px 3px 0;white-space:nowrap;border-bottom:1px solid #f0f1f2}th{color:var(--mute);font-weight:500}
pre{background:#1f2329;color:#e8eaed;padding:10px;border-radius:6px;overflow-x:auto;font-size:12px;margin:0;white-space:pre}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}dt{color:var(--mute)}dd{margin:0}
.note,.footer{color:var(--mute);font-size:12px}.footer{padding:0 14px 10px}
.buttons{display:flex;flex-wrap:wrap;gap:8px;padding:0 14px 12px}
button{border:1px solid var(--line);background:#fff;border-radius:6px;padding:6px 12px;font-size:14px;cursor:pointer}
button.primary{background:var(--info);border-color:var(--info);color:#fff}button.danger{color:var(--danger);border-color:var(--danger)}
form{position:fixed;bottom:0;left:0;right:0;background:#fff;border-top:1px solid var(--line);padding:10px;display:flex;gap:8px;justify-content:center}
form input{flex:1;max-width:640px;font-size:16px;padding:8px 10px;border:1px solid var(--line);border-radius:8px}
.md-line{white-space:pre-wrap}
.card code{cursor:default}.card code.cmd{cursor:pointer;text-decoration:underline dotted}
@media (max-width:600px){
 /* Phones: a table becomes one block per row, each cell with its column name, so nothing hides off-screen. */
 .card table,.card tbody,.card tr{display:block;width:100%}.card tr:first-child{display:none}
 .card tr{border-bottom:1px solid var(--line);padding:5px 0}.card td{display:inline;border:0;padding:0;white-space:normal;overflow-wrap:anywhere}
 .card td[data-label=""]{float:left;margin-right:6px}.card td:first-child:empty{display:none}
 .card td.key{display:block;font-weight:600}
 .card td:not(.key):not([data-label=""])::before{content:attr(data-label) " ";color:var(--mute)}
 .card td:not(.key):not([data-label=""]):not(:last-child)::after{content:" · ";color:var(--mute)}
 pre{white-space:pre-wrap;overflow-wrap:anywhere}
 header .note{display:none}
 #panel{top:0}
}
</style></head>
<body>
<header><b>opsbot</b><span class="note">local console · 本地控制台</span>
<select id="user" aria-label="Chat as"></select><button id="show-approvals" type="button">Approvals</button><button id="show-audit" type="button">Audit</button><a id="status-link" href="/console/status">Status</a><a href="/console/tools">Tools</a><a href="/console/config">Config</a></header>
<div id="panel"></div>
<div id="feed"></div>
<form id="f"><input id="text" autocomplete="off" placeholder="/pods -n production · /help" autofocus><button class="primary" type="submit">Send</button></form>
<script>
const TOKEN_REQUIRED = ${opts.tokenRequired ? 'true' : 'false'};
let TZ = undefined;
const when = (ms, withDate) => new Date(ms).toLocaleString('en-GB', Object.assign({timeZone: TZ, hour: '2-digit', minute: '2-digit'}, withDate ? {month: '2-digit', day: '2-digit'} : {}));
const feed = document.getElementById('feed'), userSel = document.getElementById('user'), input = document.getElementById('text');
function headers() {
  const h = {'content-type': 'application/json'};
  if (TOKEN_REQUIRED) {
    let t = sessionStorage.getItem('opsbot-token');
    if (!t) { t = prompt('Console token (CONSOLE_TOKEN)') || ''; sessionStorage.setItem('opsbot-token', t); }
    h.authorization = 'Bearer ' + t;
  }
  return h;
}
async function api(path, body) {
  const res = await fetch('/console/api/' + path, body ? {method: 'POST', headers: headers(), body: JSON.stringify(body)} : {headers: headers()});
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) sessionStorage.removeItem('opsbot-token');
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
function inline(parent, text) {
  // The card model's markdown subset: **bold** and \`code\`, nothing else.
  const re = /(\\*\\*[^*]+\\*\\*|\`[^\`]+\`)/g; let last = 0, m;
  while ((m = re.exec(text))) {
    if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
    const t = m[0]; const c = t.startsWith('**') ? el('b', null, t.slice(2, -2)) : el('code', null, t.slice(1, -1));
    // A command in a card (the welcome card, a usage hint) fills the input when clicked.
    if (c.tagName === 'CODE' && /^[/@]/.test(c.textContent)) { c.className = 'cmd'; c.title = 'click to type it'; c.onclick = () => { input.value = c.textContent; input.focus(); }; }
    parent.appendChild(c);
    last = m.index + t.length;
  }
  if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
}
function renderBlock(b) {
  if (b.type === 'markdown') { const d = el('div', 'md-line'); inline(d, b.text); return d; }
  if (b.type === 'fields') { const dl = el('dl'); for (const f of b.items) { dl.appendChild(el('dt', null, f.label)); const dd = el('dd'); inline(dd, f.value); dl.appendChild(dd); } return dl; }
  if (b.type === 'table') {
    const wrap = el('div'), t = el('table'), tr = el('tr');
    for (const c of b.columns) tr.appendChild(el('th', null, c)); t.appendChild(tr);
    // On a phone each row is a block: its first named cell (the pod, the node…) on a line of its own,
    // the others after it as "Column value · Column value".
    const key = b.columns.findIndex((c) => c);
    for (const r of b.rows) { const row = el('tr'); r.forEach((c, i) => { const td = el('td', i === key ? 'key' : null, c); td.dataset.label = b.columns[i] || ''; row.appendChild(td); }); t.appendChild(row); }
    wrap.appendChild(t);
    if (b.omitted) wrap.appendChild(el('div', 'note', '… +' + b.omitted + ' more'));
    if (b.note) wrap.appendChild(el('div', 'note', b.note));
    return wrap;
  }
  if (b.type === 'image') {
    // The API needs the token, so the image is fetched with it and shown from a blob.
    const img = el('img', 'chart'); img.alt = b.alt; img.width = b.width; img.height = b.height;
    fetch('/console/api/images/' + encodeURIComponent(b.ref), {headers: headers()}).then((r) => r.ok ? r.blob() : null).then((blob) => { if (blob) img.src = URL.createObjectURL(blob); }).catch(() => {});
    return img;
  }
  if (b.type === 'code') {
    const wrap = el('div');
    if (b.omittedLines) wrap.appendChild(el('div', 'note', '… ' + b.omittedLines + ' earlier lines not shown'));
    wrap.appendChild(el('pre', null, b.text)); if (b.note) wrap.appendChild(el('div', 'note', b.note)); return wrap;
  }
  return el('hr');
}
function renderCard(c) {
  const node = el('div', 'card ' + c.severity); node.dataset.card = c.id; node.dataset.updated = c.updatedAt;
  node.appendChild(el('div', 'title', c.title));
  const body = el('div', 'body'); for (const b of c.card.blocks) body.appendChild(renderBlock(b)); node.appendChild(body);
  if (c.card.footer) node.appendChild(el('div', 'footer', c.card.footer));
  if (c.buttons.length) {
    const bar = el('div', 'buttons');
    for (const b of c.buttons) {
      const btn = el('button', b.style, b.label); btn.dataset.action = b.action;
      btn.onclick = () => click(c.id, b.action, b.label); bar.appendChild(btn);
    }
    node.appendChild(bar);
  }
  return node;
}
/** A card already on the page is replaced in place (approval cards change as they are decided). */
function upsert(c) {
  const old = feed.querySelector('[data-card="' + c.id + '"]');
  if (old) { if (Number(old.dataset.updated) <= c.updatedAt) old.replaceWith(renderCard(c)); return false; }
  feed.appendChild(renderCard(c)); return true;
}
function show(cards) { let added = false; for (const c of cards) added = upsert(c) || added; if (added) window.scrollTo(0, document.body.scrollHeight); }
function stream() {
  const q = TOKEN_REQUIRED ? '?token=' + encodeURIComponent(sessionStorage.getItem('opsbot-token') || '') : '';
  const es = new EventSource('/console/api/stream' + q);
  es.addEventListener('card', (ev) => { const c = JSON.parse(ev.data); if (c.chat === 'console') show([c]); });
  es.onerror = () => { es.close(); setTimeout(stream, 3000); };
}
function closePanel() { const box = document.getElementById('panel'); box.textContent = ''; box.dataset.kind = ''; }
async function panel(kind) {
  const box = document.getElementById('panel');
  if (box.dataset.kind === kind) { closePanel(); return; }
  // A drawer over the right side (the whole screen on a phone): it opens where the person looks,
  // whatever the scroll position of the chat.
  box.dataset.kind = kind; box.textContent = '';
  const close = el('button', 'close', '✕ Close'); close.type = 'button'; close.onclick = closePanel; box.appendChild(close);
  try {
    if (kind === 'approvals') {
      const {approvals} = await api('approvals');
      const rows = approvals.map((a) => [a.id, a.state, a.command + ' ' + a.target + ': ' + a.change, a.requester, a.waitingFor || '', when(a.expiresAt)]);
      box.appendChild(renderCard({id: 'panel', severity: 'info', title: approvals.length + ' open approvals', buttons: [], card: {blocks: [rows.length ? {type: 'table', columns: ['Id', 'State', 'Change', 'By', 'Waiting for', 'Expires'], rows} : {type: 'markdown', text: 'Nothing waits for a decision.'}]}}));
    } else {
      const {entries} = await api('audit?limit=100');
      const rows = entries.map((e) => [when(e.at, true), e.actor, e.kind + (e.command ? ' /' + e.command : '') + (e.approvalId ? ' ' + e.approvalId : ''), e.outcome + (e.reason ? ': ' + e.reason : '')]);
      box.appendChild(renderCard({id: 'panel', severity: 'info', title: 'Audit log (newest first)', buttons: [], card: {blocks: [{type: 'table', columns: ['Time', 'Who', 'What', 'Result'], rows}]}}));
    }
  } catch (e) { box.appendChild(el('div', 'msg', 'error: ' + e.message)); }
}
document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') closePanel(); });
document.getElementById('show-approvals').onclick = () => panel('approvals');
document.getElementById('show-audit').onclick = () => panel('audit');
function said(who, text) { const m = el('div', 'msg'); m.appendChild(document.createTextNode(who + ': ')); m.appendChild(el('code', null, text)); feed.appendChild(m); }
/** The room as it was: what people typed and clicked, and each card as it is now; a welcome card when empty. */
async function restore() {
  const {entries} = await api('history?chat=console');
  for (const e of entries) { if (e.kind === 'said') said(e.click ? e.user + ' clicked' : e.user, e.text); else upsert(e.card); }
  if (entries.length) window.scrollTo(0, document.body.scrollHeight); else await welcome();
}
async function welcome() {
  if (feed.children.length && !feed.querySelector('[data-card="welcome"]')) return;
  const card = await api('welcome?user=' + encodeURIComponent(userSel.value));
  feed.querySelector('[data-card="welcome"]')?.remove(); feed.prepend(renderCard(card));
}
async function click(card, action, label) {
  said(userSel.value + ' clicked', label);
  try { show((await api('click', {user: userSel.value, card, action})).cards); } catch (e) { said('error', e.message); }
}
document.getElementById('f').onsubmit = async (ev) => {
  ev.preventDefault(); const text = input.value.trim(); if (!text) return;
  input.value = ''; said(userSel.value, text);
  // Plain-language questions take seconds: say so until the answer arrives.
  const wait = text.startsWith('/') || text.startsWith('／') ? null : el('div', 'msg', '🤔 opsbot is thinking… · 正在查询…');
  if (wait) { feed.appendChild(wait); window.scrollTo(0, document.body.scrollHeight); }
  try { show((await api('send', {user: userSel.value, text})).cards); } catch (e) { said('error', e.message); } finally { wait?.remove(); }
};
userSel.onchange = () => { localStorage.setItem('opsbot-user', userSel.value); if (feed.querySelector('[data-card="welcome"]')) welcome().catch(() => {}); };
api('users').then(({users, timezone, fixed, readOnly}) => {
  TZ = timezone;
  // Outside the demo a personal token acts as its person only: no picker, just who you are.
  const shown = fixed ? users.filter((u) => u.user === fixed) : users;
  for (const u of shown) { const o = el('option', null, u.name + ' · ' + u.roles.join(',')); o.value = u.user; userSel.appendChild(o); }
  if (fixed) userSel.disabled = true;
  if (readOnly) { input.disabled = true; input.placeholder = 'read-only token: sign in with your personal console token to send'; userSel.disabled = true; }
  const saved = localStorage.getItem('opsbot-user'); if (!fixed && saved && users.some((u) => u.user === saved)) userSel.value = saved;
  return restore();
}).catch((e) => said('error', e.message));
stream();
</script></body></html>`;
}
