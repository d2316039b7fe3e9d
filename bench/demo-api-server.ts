import { createInterface } from 'node:readline';
import { DemoKubeServer } from '../src/kube/demo/server.js';

/**
 * The demo Kubernetes API in its own process, for benches that measure opsbot's CPU alone (a real API
 * server runs elsewhere): seeded with argv[2] pods at least. Prints its URL; answers "deletes" on stdin
 * with how many pod deletions (not dry runs) reached it, and "exit" by stopping.
 */
const demo = await DemoKubeServer.start({ seed: { minPods: Number(process.argv[2] ?? 0) } });
process.stdout.write(`${JSON.stringify({ url: demo.url })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'deletes') process.stdout.write(`${JSON.stringify({ deletes: demo.count('DELETE', /\/pods\//, { dryRun: false }) })}\n`);
  else if (line === 'exit') break;
}
await demo.stop();
process.exit(0);
