import { DINGTALK, robotHeaders, robotMessage } from '../test/helpers/sign-dingtalk.js';
import { runLoad } from './http-load.js';

/**
 * Load generator for DingTalk robot HTTP mode, its own process:
 * `tsx bench/dingtalk-load.ts <url> <requests> <concurrency> <run number>`. Each request is signed as
 * DingTalk signs it, with its own timestamp (opsbot accepts a signature once), and a unique msgId.
 */
const [url, nArg, cArg, slotArg] = process.argv.slice(2);
const n = Number(nArg ?? 3000);
// Each run gets its own span of timestamps (opsbot refuses a reused signature), all inside the 1 h window.
const base = Date.now() - 50 * 60_000 + Number(slotArg ?? 0) * n;
const reqs = Array.from({ length: n }, (_, i) => ({ headers: robotHeaders(base + i, DINGTALK.clientSecret), body: JSON.stringify(robotMessage({ text: `/help ${i}`, msgId: `bench-${process.pid}-${i}==` })) }));
await runLoad(url as string, Number(cArg ?? 32), reqs);
