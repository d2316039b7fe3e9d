import { FEISHU, messageEnvelope, signedRequest } from '../test/helpers/sign-feishu.js';
import { runLoad } from './http-load.js';

/**
 * Load generator for acks under real work: `tsx bench/feishu-pods-load.ts <url> <requests> <concurrency>`,
 * each a signed, encrypted Feishu message asking `/pods production` (or the 4th argument) — a command that lists and renders.
 */
const [url, nArg, cArg] = process.argv.slice(2);
const n = Number(nArg ?? 300);
const text = process.argv[5] ?? '/pods production';
const bodies = Array.from({ length: n }, () => signedRequest(messageEnvelope(FEISHU.carol, text, { chatType: 'p2p' })));
await runLoad(url as string, Number(cArg ?? 30), bodies);
