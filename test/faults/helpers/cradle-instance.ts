import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnUntilReady, stopChild } from './service-process.js';

const GC_PROBE = fileURLToPath(new URL('./gc-probe.mjs', import.meta.url));

/** Heap in use after a forced full garbage collection, and the resident set, in bytes. */
export interface HeapReading {
  readonly heapUsed: number;
  readonly rss: number;
}

/**
 * One Cradle server as a child process (the compiled `dist`-style build of `src/main.ts`), so that
 * SIGKILL is a real crash. Configured only through the environment, like a deployment.
 */
export class CradleInstance {
  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly url: string,
    /** `/metrics` on the instance's internal metrics listener. */
    readonly metricsUrl: string,
    private readonly output: () => string,
  ) {}

  /** Starts `main.js` of the build in `buildDir` with `env`; resolves once it listens. */
  static async start(name: string, buildDir: string, env: Readonly<Record<string, string>>): Promise<CradleInstance> {
    const args = ['--enable-source-maps', '--expose-gc', '--import', GC_PROBE, join(buildDir, 'src/main.js')];
    const { child, output } = await spawnUntilReady(process.execPath, args, { env: { PATH: process.env['PATH'] ?? '', ...env } }, /Cradle is listening: http:\/\/\S+\/graphql/, 120_000);
    const url = /Cradle is listening: (http:\/\/\S+\/graphql)/.exec(output())![1]!;
    const metricsUrl = /Metrics \(internal listener\): (http:\/\/\S+\/metrics)/.exec(output())?.[1];
    if (!metricsUrl) throw new Error(`${name} serves no metrics (set CRADLE_METRICS_PORT)`);
    return new CradleInstance(name, child, url, metricsUrl, output);
  }

  get wsUrl(): string {
    return this.url.replace(/^http/, 'ws');
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How the process ended (`null` while it runs): its exit code, or the signal that ended it. */
  get ended(): number | string | null {
    return this.child.exitCode ?? this.child.signalCode;
  }

  /** What the process printed (its start-up lines and log lines at its LOG_LEVEL), for diagnostics. */
  get logs(): string {
    return this.output();
  }

  /** What the process printed after starting, outside its JSON log lines (a crash's error), first 3000 characters. */
  get crashReport(): string {
    const output = this.output();
    return output
      .slice(output.indexOf('Cradle is listening'))
      .split('\n')
      .filter((line) => !line.startsWith('{"level"') && !line.startsWith('cradle-fault-gc') && line.trim() !== '')
      .slice(2)
      .join('\n')
      .slice(0, 3000);
  }

  /** Forces a full garbage collection in the process and reads its heap (see `gc-probe.mjs`). */
  async heapAfterGc(): Promise<HeapReading> {
    const readings = () => [...this.output().matchAll(/cradle-fault-gc (\{[^\n]*\})/g)].map((m) => m[1]!);
    const before = readings().at(-1);
    this.child.kill('SIGUSR2');
    const deadline = Date.now() + 15_000;
    for (;;) {
      const latest = readings().at(-1);
      if (latest !== undefined && latest !== before) return JSON.parse(latest) as HeapReading;
      if (Date.now() > deadline) throw new Error(`${this.name} did not report its heap`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Reads one unlabelled metric from the internal metrics listener. */
  async metric(name: string): Promise<number> {
    const text = await (await fetch(this.metricsUrl, { signal: AbortSignal.timeout(10_000) })).text();
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (!match) throw new Error(`${this.name} has no metric ${name}`);
    return Number(match[1]);
  }

  /** Kills the process as a crash would: SIGKILL, no shutdown of any kind. */
  async kill(): Promise<void> {
    await stopChild(this.child, 'SIGKILL');
  }

  /** Stops the process gracefully (SIGTERM), as an operator would. */
  async stop(): Promise<void> {
    await stopChild(this.child, 'SIGTERM');
  }
}
