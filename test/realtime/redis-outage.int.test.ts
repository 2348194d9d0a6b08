import { connect as connectTcp, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/logger.js';
import { RedisEventBus } from '../../src/realtime/redis-event-bus.js';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { collect, gql, gqlOk, quietPeriod, wsClient, type Collector } from '../helpers/graphql-client.js';
import { RedisProcess } from '../helpers/redis-process.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const SUBSCRIBE = `subscription($since: String) { patientUpdates(since: $since) { cursor update { id } } }`;
const LOG_MOOD = `mutation($input: LogMoodInput!) { logMood(input: $input) { id cursor } }`;
const HISTORY = `query($p: ID!) { statusUpdates(patientId: $p, first: 50) { edges { cursor } } }`;

type Logged = { readonly id: string; readonly cursor: string };
type LiveEvent = { patientUpdates: { cursor: string; update: { id: string } } };

const cursorsOf = (live: Collector<LiveEvent>) => live.received.map((e) => e.patientUpdates.cursor);
const idsOf = (live: Collector<LiveEvent>) => live.received.map((e) => e.patientUpdates.update.id);

let redis: RedisProcess;
beforeAll(async () => void (redis = await RedisProcess.start()));
afterAll(() => redis?.kill());

describe('a Redis outage during writes', () => {
  let a: TestServer;
  let b: TestServer;
  let midwife: TestUser;
  let outsider: TestUser;
  let patient: TestPatient;
  const clients: Client[] = [];
  const socketCloses: number[] = [];

  const subscribe = (ts: TestServer, token: string, since: string) => {
    const client = wsClient(ts.wsUrl, token, (code) => socketCloses.push(code));
    clients.push(client);
    return collect<LiveEvent>(client, SUBSCRIBE, { since });
  };
  const logLines = (ts: TestServer, ...parts: string[]) => ts.logs.filter((line) => parts.every((part) => line.includes(part)));

  beforeAll(async () => {
    a = await startTestServer({ env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `outage_${crypto.randomUUID().slice(0, 8)}:` } });
    b = await startTestServer({ shareWith: a });
    const tenant = await TestTenant.create(a);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    midwife = await tenant.user('MIDWIFE');
    outsider = await tenant.user('MIDWIFE');
    patient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    if (redis && !redis.child) await redis.restart();
    await b?.close();
    await a?.close();
  });

  it('accepts every write while Redis is down and delivers each to every entitled subscriber exactly once, in cursor order', async () => {
    const logged: Logged[] = [];
    const failures: unknown[] = [];
    const logMoods = async (count: number, pauseMs = 0) => {
      for (let i = 0; i < count; i++) {
        const res = await gql<{ logMood: Logged }>(a.url, LOG_MOOD, { input: { patientId: patient.id, score: (i % 5) + 1 } }, patient.user!.token);
        if (res.status === 200 && !res.errors && res.data) logged.push(res.data.logMood);
        else failures.push({ status: res.status, errors: res.errors });
        await quietPeriod(pauseMs);
      }
    };
    await logMoods(1);
    const baseline = logged.pop()!.cursor;
    const onB = subscribe(b, midwife.token, baseline);
    const onA = subscribe(a, patient.user!.token, baseline);
    const notEntitled = subscribe(b, outsider.token, baseline);
    await vi.waitFor(() => expect([a.server.services.feed.subscriptionCount, b.server.services.feed.subscriptionCount]).toEqual([1, 2]));
    await logMoods(1);
    await Promise.all([onB.waitFor(1), onA.waitFor(1)]);

    await logMoods(4);
    await Promise.all([logMoods(1), redis.kill()]);
    await logMoods(6, 150);
    expect([await a.server.services.bus.ping(), await b.server.services.bus.ping()]).toEqual([false, false]);
    await redis.restart();
    await logMoods(3);
    const resubscribed = () => [a, b].map((ts) => logLines(ts, 'redis subscriber resubscribed').length > 0);
    await vi.waitFor(() => expect(resubscribed()).toEqual([true, true]), { timeout: 5000 });
    await logMoods(3);

    expect(failures).toEqual([]);
    expect(logged).toHaveLength(18);
    const history = await gqlOk<{ statusUpdates: { edges: Array<{ cursor: string }> } }>(a.url, HISTORY, { p: patient.id }, midwife.token);
    expect(history.statusUpdates.edges.map((e) => e.cursor).reverse()).toEqual([baseline, ...logged.map((u) => u.cursor)]);
    await Promise.all([onB.waitFor(logged.length, 10_000), onA.waitFor(logged.length, 10_000)]);
    await quietPeriod(500);
    for (const live of [onB, onA]) {
      expect(cursorsOf(live)).toEqual(logged.map((u) => u.cursor));
      expect(idsOf(live)).toEqual(logged.map((u) => u.id));
      expect(live.errors).toEqual([]);
    }
    expect(notEntitled.received).toEqual([]);
    expect(socketCloses).toEqual([]);

    expect(logLines(a, 'outbox relay could not publish').length).toBeGreaterThan(0);
    await a.server.services.relay.flush();
    const [unpublished] = await a.server.database.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from outbox_event where published_at is null');
    expect(Number(unpublished!.n)).toBe(0);
    for (const ts of [a, b]) {
      for (const connection of ['publisher', 'subscriber']) expect(logLines(ts, '"level":40', `"connection":"${connection}"`)).toHaveLength(1);
    }

    const resumed = subscribe(b, midwife.token, logged[0]!.cursor);
    await resumed.waitFor(logged.length - 1);
    await quietPeriod(300);
    expect(cursorsOf(resumed)).toEqual(logged.slice(1).map((u) => u.cursor));
  });
});

/**
 * A TCP proxy standing in for the network between one bus and Redis: it can cut every connection
 * (and refuse new ones while `refusing`), hold a SUBSCRIBE back for `subscribeDelayMs` on its way
 * to Redis, and then hold Redis's replies for `replyHoldMs`, handing them on in one piece.
 */
class RedisLink {
  refusing = false;
  subscribeDelayMs = 0;
  replyHoldMs = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server = createNetServer((client) => this.forward(client));

  constructor(private readonly redisPort: number) {}

  async open(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `redis://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  close(): void {
    this.cut();
    this.server.close();
  }

  private forward(client: Socket): void {
    if (this.refusing) return void client.destroy();
    const upstream = connectTcp(this.redisPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined).on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    let heldReplies: Buffer[] | null = null;
    upstream.on('data', (chunk: Buffer) => (heldReplies ? heldReplies.push(chunk) : client.write(chunk)));
    let sent = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      const subscribing = /subscribe/i.test(chunk.toString('latin1'));
      sent = sent.then(async () => {
        if (subscribing) await quietPeriod(this.subscribeDelayMs);
        upstream.write(chunk);
        if (!subscribing || this.replyHoldMs === 0) return;
        heldReplies ??= [];
        setTimeout(() => {
          client.write(Buffer.concat(heldReplies!));
          heldReplies = null;
        }, this.replyHoldMs);
      });
    });
  }
}

describe('RedisEventBus over a broken link', () => {
  const prefix = `link_${crypto.randomUUID().slice(0, 8)}:`;
  let link: RedisLink;
  let bus: RedisEventBus;
  let direct: Redis;

  beforeAll(async () => {
    link = new RedisLink(redis.port);
    bus = new RedisEventBus(await link.open(), prefix, createLogger('silent'));
    await bus.ready();
    direct = new Redis(redis.url);
  });

  afterAll(async () => {
    direct?.disconnect();
    await bus?.close();
    link?.close();
  });

  const reachable = (expected: boolean) => vi.waitFor(async () => expect(await bus.ping()).toBe(expected), { timeout: 5000 });
  beforeEach(async () => {
    Object.assign(link, { refusing: false, subscribeDelayMs: 0, replyHoldMs: 0 });
    await reachable(true);
  });

  it('runs reconnect callbacks once Redis has acknowledged the resubscription and before any message that followed it', async () => {
    const seen: string[] = [];
    await bus.subscribe('probe', (message) => seen.push(message));
    const stop = bus.onReconnect(() => {
      seen.push('reconnect callback');
      void direct.publish(`${prefix}probe`, 'published by the callback');
    });
    const subscribers = async () => ((await direct.pubsub('NUMSUB', `${prefix}probe`)) as [string, number])[1];
    Object.assign(link, { subscribeDelayMs: 300, replyHoldMs: 500 });
    link.cut();
    await vi.waitFor(async () => expect(await subscribers()).toBe(0));
    await vi.waitFor(async () => expect(await subscribers()).toBe(1), { timeout: 3000, interval: 20 });
    await direct.publish(`${prefix}probe`, 'published after the resubscription');
    const expected = ['reconnect callback', 'published after the resubscription', 'published by the callback'];
    await vi.waitFor(() => expect(seen).toEqual(expected), { timeout: 3000 });
    stop();
  });

  it('fails ping and publish within about a second when the link drops under them, instead of holding them until Redis is back', async () => {
    link.refusing = true;
    link.cut();
    const started = performance.now();
    const outcome = await Promise.all([bus.ping(), bus.publish('probe', 'lost').then(() => 'published', () => 'refused')]);
    expect(outcome).toEqual([false, 'refused']);
    expect(performance.now() - started).toBeLessThan(2000);
  }, 10_000);

  it('forgets a subscription that failed while Redis was unreachable, so subscribing again later works', async () => {
    const failed: string[] = [];
    const retried: string[] = [];
    link.refusing = true;
    link.cut();
    await reachable(false);
    await expect(bus.subscribe('late', (message) => failed.push(message))).rejects.toThrow();
    link.refusing = false;
    await reachable(true);
    await bus.subscribe('late', (message) => retried.push(message));
    await direct.publish(`${prefix}late`, 'after the outage');
    await vi.waitFor(() => expect(retried).toEqual(['after the outage']));
    expect(failed).toEqual([]);
  });
});
