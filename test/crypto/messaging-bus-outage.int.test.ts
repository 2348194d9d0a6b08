import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { quietPeriod } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { careSetting, closeKits, kitFor, listen, waitForMailboxSubscriptions, type CareSetting } from './messaging-fixtures.js';

/** A redis-server of this file's own, so killing it leaves any shared Redis alone. */
class RedisProcess {
  child: ChildProcess | null = null;
  readonly url: string;
  private constructor(readonly port: number) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  static async start(): Promise<RedisProcess> {
    if (spawnSync('redis-server', ['--version']).error) throw new Error('redis-server is not on PATH: install Redis to run the bus-outage test.');
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const redis = new RedisProcess((probe.address() as AddressInfo).port);
    await new Promise((resolve) => probe.close(resolve));
    await redis.restart();
    return redis;
  }

  async restart(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    this.child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 5000).unref();
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('Ready to accept connections')) resolve();
      });
    });
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child) await Promise.all([once(child, 'exit'), child.kill('SIGKILL')]);
  }
}

describe('mailbox delivery across a Redis outage', () => {
  let redis: RedisProcess;
  let a: TestServer;
  let b: TestServer;
  let care: CareSetting;

  beforeAll(async () => {
    redis = await RedisProcess.start();
    a = await startTestServer({ env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `mailbox_outage_${crypto.randomUUID().slice(0, 8)}:` } });
    b = await startTestServer({ shareWith: a });
    care = await careSetting(a);
  });
  afterAll(async () => {
    await closeKits();
    if (redis && !redis.child) await redis.restart();
    await b?.close();
    await a?.close();
    await redis?.kill();
  });

  it('accepts sends while Redis is down and delivers them to a live inbox on another instance once the bus is back', async () => {
    const midwife = kitFor(a, care.midwife);
    const phone = kitFor(b, care.patientUser);
    await midwife.register();
    await phone.register();
    const inbox = listen(phone);
    await waitForMailboxSubscriptions(b, 2);
    await midwife.sendText(care.patientUser.id, 'before the outage');
    await inbox.waitFor(1);

    await redis.kill();
    await midwife.sendText(care.patientUser.id, 'during the outage, one');
    await midwife.sendText(care.patientUser.id, 'during the outage, two');
    await quietPeriod(300);
    expect(inbox.texts()).toEqual(['before the outage']);
    expect(a.logs.some((line) => line.includes('could not announce mailbox news on the bus'))).toBe(true);

    await redis.restart();
    await vi.waitFor(() => expect(b.logs.some((line) => line.includes('redis subscriber resubscribed'))).toBe(true), { timeout: 10_000 });
    await inbox.waitFor(3, 10_000);
    await midwife.sendText(care.patientUser.id, 'after the outage');
    await inbox.waitFor(4);
    await quietPeriod(300);
    expect(inbox.texts()).toEqual(['before the outage', 'during the outage, one', 'during the outage, two', 'after the outage']);
    expect(inbox.errors).toEqual([]);
    inbox.stop();
  });
});
