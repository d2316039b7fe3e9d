import { FEISHU, messageEnvelope, signedRequest } from '../test/helpers/sign-feishu.js';
import { runLoad } from './http-load.js';

/**
 * Load generator, run as its own process so it does not share the server's event loop:
 * `tsx bench/feishu-load.ts <url> <requests> <concurrency>`. Bodies (unique event ids, encrypted and
 * signed exactly as Feishu does) are made before the clock starts.
 */
const [url, nArg, cArg] = process.argv.slice(2);
const n = Number(nArg ?? 2000);
const bodies = Array.from({ length: n }, (_, i) => signedRequest(messageEnvelope(FEISHU.carol, `/nodes ${i}`, { chatType: 'p2p' })));
await runLoad(url as string, Number(cArg ?? 32), bodies);
