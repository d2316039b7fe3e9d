import { loadConfig } from './config/env.js';
import { StartupError, startApp } from './app.js';
import { createLogger } from './log.js';

/**
 * `./start.sh` runs this. Bad configuration prints one line per problem and exits 2 (never a stack
 * trace); Ctrl-C or SIGTERM stops cleanly.
 */
async function main(): Promise<void> {
  // `./start.sh mcp`: a stdio MCP server that speaks to the running bot (src/mcp/stdio.ts).
  if (process.argv[2] === 'mcp') return (await import('./mcp/stdio.js')).runMcpStdio(process.env);
  const r = loadConfig(process.env);
  if (!r.ok) return fail(r.problems);
  const { config } = r;
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  for (const n of r.notes) log.info(n);
  let app;
  try {
    app = await startApp({ config, log });
  } catch (e) {
    if (e instanceof StartupError) return fail(e.problems, log);
    throw e;
  }
  if (app.demo) {
    console.log(`\n  opsbot demo is running.\n`);
    console.log(`  Console:     ${app.consoleUrl ?? '(disabled)'}`);
    console.log(`  Demo API:    ${app.demo.url}  (kubectl --kubeconfig ${config.dataDir}/demo.kubeconfig get pods -A)`);
    console.log(`  Try:         /status · /pods · /logs order-service · /scale api-gateway 5\n`);
  } else if (app.consoleUrl) {
    console.log(`opsbot console: ${app.consoleUrl}`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    log.info({ signal }, 'stopping');
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** The problems are the last lines printed: the log (written by a worker) is flushed first. */
async function fail(problems: string[], log?: ReturnType<typeof createLogger>): Promise<void> {
  if (log) await new Promise<void>((resolve) => log.flush(() => resolve()));
  for (const p of problems) console.error(`opsbot: config error: ${p}`);
  process.exit(2);
}

main().catch((e: unknown) => {
  console.error(`opsbot: failed to start: ${(e as Error).message}`);
  process.exit(1);
});
