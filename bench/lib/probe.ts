import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** A request the bench driver sends a server child over IPC. */
export interface ProbeRequest {
  /**
   * `stats`: report; `profile-start`: start recording a CPU profile (when `BENCH_CPU_PROFILE_DIR`
   * is set); `profile`: write the profile recorded so far there and answer `profiled`.
   */
  readonly type: 'stats' | 'profile-start' | 'profile';
  /** Run a full garbage collection first (the child must run with `--expose-gc`). */
  readonly gc?: boolean;
  /** Start a new event-loop delay window after reading this one. */
  readonly reset?: boolean;
}

/** What a server child reports about itself: memory in bytes, event-loop delay in milliseconds. */
export interface ProbeStats {
  readonly rss: number;
  readonly heapUsed: number;
  /** Event-loop delay p99 and max since the last reset, in milliseconds. */
  readonly eventLoopP99Ms: number;
  readonly eventLoopMaxMs: number;
  /** Live subscriptions (or sockets, for the ws floor) the server holds. */
  readonly subscriptions: number;
}

/**
 * Installs the measurement side of a bench server child: answers `stats` requests from the driver
 * (memory after an optional forced GC, event-loop delay since the last reset, live subscriptions) and tells the driver
 * the child's listening port with `{ type: 'ready', port }`. Every bench server (Cradle, the
 * textbook baselines, the floors) is measured the same way.
 */
export function installProbe(subscriptions: () => number = () => 0): { ready(port: number): void } {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const profileDir = process.env['BENCH_CPU_PROFILE_DIR'];
  let profiling: Promise<() => Promise<void>> = Promise.resolve(async () => undefined);
  process.on('message', (message: ProbeRequest) => {
    if (message?.type === 'profile-start') {
      profiling = startProfiling(profileDir);
      return;
    }
    if (message?.type === 'profile') {
      void profiling.then((write) => write()).finally(() => process.send?.({ type: 'profiled' }));
      return;
    }
    if (message?.type !== 'stats') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    if (message.gc && gc) {
      gc();
      gc();
    }
    const memory = process.memoryUsage();
    const stats: ProbeStats = {
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      eventLoopP99Ms: delay.count > 0 ? delay.percentile(99) / 1e6 : 0,
      eventLoopMaxMs: delay.count > 0 ? delay.max / 1e6 : 0,
      subscriptions: subscriptions(),
    };
    if (message.reset) delay.reset();
    process.send?.({ type: 'stats', stats });
  });
  // The driver going away ends the child too.
  process.on('disconnect', () => process.exit(0));
  return { ready: (port) => process.send?.({ type: 'ready', port }) };
}

/**
 * With a directory, records a V8 CPU profile from now on (through the inspector, so it does not
 * depend on a clean exit); the returned writer saves it there as `<pid>.cpuprofile`.
 */
async function startProfiling(dir: string | undefined): Promise<() => Promise<void>> {
  if (!dir) return async () => undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(profile));
  };
}
