import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createNetServer, type AddressInfo } from 'node:net';

/**
 * A redis-server of a test file's own, on a free loopback port, with no persistence, so a test
 * can kill and restart it (a Redis outage) and leave any shared Redis alone.
 */
export class RedisProcess {
  child: ChildProcess | null = null;
  readonly url: string;
  private constructor(readonly port: number) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  static async start(): Promise<RedisProcess> {
    if (spawnSync('redis-server', ['--version']).error) {
      throw new Error('redis-server is not on PATH: install Redis (apt-get install redis-server) to run the Redis outage tests.');
    }
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const redis = new RedisProcess((probe.address() as AddressInfo).port);
    await new Promise((resolve) => probe.close(resolve));
    await redis.restart();
    return redis;
  }

  /** Starts redis-server on this port again; resolves once it accepts connections. */
  async restart(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    this.child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      setTimeout(() => reject(new Error(`redis-server did not start on port ${this.port}:\n${output}`)), 5000).unref();
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('Ready to accept connections')) resolve();
      });
    });
  }

  /** Kills redis-server as a crash would (SIGKILL) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child) await Promise.all([once(child, 'exit'), child.kill('SIGKILL')]);
  }
}
