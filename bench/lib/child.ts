import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ProbeStats } from './probe.js';

/** Clock ticks per second of `/proc/<pid>/stat` (USER_HZ; 100 on Linux x86 and arm). */
const CLOCK_TICKS_PER_SECOND = 100;

/** User plus system CPU time a process has used, in microseconds (resolution: one clock tick, 10 ms). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1e6) / CLOCK_TICKS_PER_SECOND;
}

/** A bench server running in its own process, measurable from outside. */
export class ServerChild {
  private constructor(
    private readonly child: ChildProcess,
    /** The port it listens on. */
    readonly port: number,
    private readonly profiling = false,
  ) {}

  /** The child's process id (for `/proc/<pid>/stat`). */
  get pid(): number {
    return this.child.pid!;
  }

  /**
   * Starts `script` (a compiled bench entry) with `--expose-gc` and `env`, and waits until it
   * reports its port (at most `timeoutMs`). With `cpuProfileDir`, the child records a V8 CPU
   * profile and writes it there when stopped (open it in Chrome DevTools or speedscope).
   */
  static async start(script: string, env: Readonly<Record<string, string>>, cpuProfileDir: string | null = null, timeoutMs = 60_000): Promise<ServerChild> {
    const child = fork(script, [], {
      env: { ...process.env, ...env, ...(cpuProfileDir ? { BENCH_CPU_PROFILE_DIR: cpuProfileDir } : {}) },
      execArgv: ['--expose-gc', '--enable-source-maps'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script} did not start within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
      child.on('message', (message: { type?: string; port?: number }) => {
        if (message?.type === 'ready' && typeof message.port === 'number') {
          clearTimeout(timer);
          resolve(message.port);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited with ${code} before it was ready: ${stderr}`));
      });
    });
    return new ServerChild(child, port, cpuProfileDir !== null);
  }

  /** Starts recording the CPU profile (when started with a profile directory): the measured steps, not the setup. */
  startProfile(): void {
    if (this.profiling) this.child.send({ type: 'profile-start' });
  }

  /** CPU used so far, in microseconds. */
  cpu(): number {
    return cpuMicros(this.pid);
  }

  /** Memory and event-loop delay, optionally after a forced GC and resetting the delay window. */
  stats(options: { gc?: boolean; reset?: boolean } = {}): Promise<ProbeStats> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the server child did not answer a stats request')), 60_000);
      const onMessage = (message: { type?: string; stats?: ProbeStats }) => {
        if (message?.type !== 'stats' || !message.stats) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(message.stats);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'stats', ...options });
    });
  }

  /** Sends the child a message of its own protocol (the ws floor's broadcast command). */
  send(message: unknown): void {
    this.child.send(message as object);
  }

  /** Stops the child with SIGTERM (SIGKILL after `graceMs`), writing its CPU profile first when profiling, and waits for it to exit. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.profiling) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 60_000);
        this.child.on('message', (message: { type?: string }) => {
          if (message?.type !== 'profiled') return;
          clearTimeout(timer);
          resolve();
        });
        this.child.send({ type: 'profile' });
      });
    }
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
