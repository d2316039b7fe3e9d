import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

/** A real redis-server (the Debian package .ci/run installs) on a free loopback port, nothing persisted. */
export class RedisServer {
  private constructor(
    readonly url: string,
    private readonly proc: ChildProcess,
  ) {}

  /** Whether the binary is installed (the caller skips with a clear message); in CI it is required. */
  static available(): boolean {
    const ok = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
    if (!ok && process.env['CI']) throw new Error('redis-server is required in CI (.ci/run installs the Debian package)');
    return ok;
  }

  static async start(): Promise<RedisServer> {
    const port = await freePort();
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out.slice(-500)}`)), 10_000);
      const check = () => {
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(timer);
          resolve();
        } else setTimeout(check, 20);
      };
      proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)));
      check();
    });
    return new RedisServer(`redis://127.0.0.1:${port}/0`, proc);
  }

  /** Stops it (SIGTERM) and waits; `pause()`/`resume()` make it stop answering without closing sockets. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await exited;
  }

  pause(): void {
    this.proc.kill('SIGSTOP');
  }

  resume(): void {
    this.proc.kill('SIGCONT');
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}
