import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it; we release it at once). */
export async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Starts `command` and resolves once `ready` matches its combined output, rejecting with that output
 * if it exits first or `timeoutMs` passes. The child is killed with SIGKILL on failure.
 */
export async function spawnUntilReady(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
  ready: RegExp,
  timeoutMs: number,
): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${command} was not ready after ${timeoutMs} ms:\n${output.slice(-4000)}`)), timeoutMs);
      const onExit = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        reject(new Error(`${command} exited (${code ?? signal}) before it was ready:\n${output.slice(-4000)}`));
      };
      child.once('exit', onExit);
      const check = () => {
        if (!ready.test(output)) return;
        clearTimeout(timer);
        child.off('exit', onExit);
        child.stdout!.off('data', check);
        child.stderr!.off('data', check);
        resolve();
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
    });
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw err;
  }
  return { child, output: () => output };
}

/** Sends `signal` to a child we started and waits for it to exit (SIGKILL after `graceMs`). */
export async function stopChild(child: ChildProcess | null, signal: NodeJS.Signals, graceMs = 15_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

const PG_BIN = process.env['CRADLE_FAULTS_PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

/**
 * A throwaway PostgreSQL 15 cluster of the fault suite: `initdb` in a temporary directory, the
 * postmaster as our own child process on a free port (127.0.0.1 only), trust authentication, tiny
 * shared buffers and, for speed, `fsync=off` (a crash of the machine could corrupt this cluster;
 * a crash of PostgreSQL alone cannot, and the suite never crashes the machine; commits stay
 * synchronous, so an acknowledged write survives a crash of PostgreSQL). When the suite runs
 * as root, PostgreSQL (which refuses root) runs as the `postgres` user.
 */
export class PostgresCluster {
  private child: ChildProcess | null = null;
  readonly url: string;

  private constructor(
    private readonly dir: string,
    readonly port: number,
    private readonly owner: { uid: number; gid: number } | null,
  ) {
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  /** Creates and starts a cluster; resolves once it accepts connections. */
  static async create(): Promise<PostgresCluster> {
    const owner = process.getuid?.() === 0 ? userIds('postgres') : null;
    const dir = mkdtempSync(join(tmpdir(), 'cradle-faults-pg-'));
    if (owner) chownSync(dir, owner.uid, owner.gid);
    execFileSync(join(PG_BIN, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], {
      cwd: dir,
      stdio: 'pipe',
      ...(owner ?? {}),
    });
    const cluster = new PostgresCluster(dir, await freePort(), owner);
    await cluster.start();
    return cluster;
  }

  /** Whether the postmaster is running. */
  get running(): boolean {
    return this.child !== null;
  }

  /** Starts the postmaster (again); resolves once it accepts connections. */
  async start(): Promise<void> {
    const settings = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: this.dir,
      shared_buffers: '16MB',
      max_connections: '200',
      fsync: 'off',
      // Not synchronous_commit=off: that acknowledges commits before their WAL is written, and the
      // `immediate` stop (a crash) then loses acknowledged writes, which the suite checks never happens.
      full_page_writes: 'off',
    };
    const args = ['-D', join(this.dir, 'data'), '-p', String(this.port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const { child } = await spawnUntilReady(join(PG_BIN, 'postgres'), args, { cwd: this.dir, ...(this.owner ?? {}) }, /ready to accept connections/, 60_000);
    this.child = child;
  }

  /**
   * Stops the postmaster: `fast` (SIGINT) ends every session with an error and checkpoints, as an
   * operator's restart does; `immediate` (SIGQUIT) drops everything as a crash would.
   */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const child = this.child;
    this.child = null;
    await stopChild(child, mode === 'fast' ? 'SIGINT' : 'SIGQUIT', 30_000);
  }

  /** Stops the cluster and deletes its files. */
  async destroy(): Promise<void> {
    await this.stop('immediate');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A redis-server of the fault suite on its own port (no persistence), as our own child process. */
export class RedisServer {
  private child: ChildProcess | null = null;
  readonly url: string;

  private constructor(readonly port: number) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  static async create(): Promise<RedisServer> {
    const redis = new RedisServer(await freePort());
    await redis.start();
    return redis;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts redis-server on this port (again); resolves once it accepts connections. */
  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
    const { child } = await spawnUntilReady('redis-server', args, {}, /Ready to accept connections/, 30_000);
    this.child = child;
  }

  /** Kills redis-server as a crash would (SIGKILL) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    await stopChild(child, 'SIGKILL');
  }
}

function userIds(name: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
  return { uid, gid };
}
