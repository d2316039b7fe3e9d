import { botClick, encryptedCallback } from '../test/helpers/sign-wecom.js';
import { runLoad } from './http-load.js';

/**
 * Load generator for WeCom's intelligent bot in API mode, its own process:
 * `tsx bench/wecom-load.ts <url> <requests> <concurrency>`. Each request is an encrypted, signed click on
 * a card's no-op button (what a decided card keeps): verify, decrypt, parse and answer, no command work.
 */
const [url, nArg, cArg] = process.argv.slice(2);
const n = Number(nArg ?? 3000);
const reqs = Array.from({ length: n }, (_, i) => {
  const cb = encryptedCallback(JSON.stringify(botClick({ key: 'noop', taskId: `t${i}`, userid: 'sre_bob' })), { nonce: String(1e6 + i) });
  return { headers: { 'content-type': 'application/json' }, body: cb.body, query: cb.query };
});
await runLoad(url as string, Number(cArg ?? 32), reqs);
