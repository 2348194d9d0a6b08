import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import type { BusHandler, EventBus } from '../../src/realtime/event-bus.js';
import { SessionSockets, type SessionSocket } from '../../src/realtime/session-sockets.js';

/** A socket that records how it was closed and runs its close listeners, as `ws` does. */
class FakeSocket implements SessionSocket {
  closedWith: [number, string] | null = null;
  private readonly listeners: Array<() => void> = [];
  close(code: number, reason: string): void {
    if (this.closedWith) return;
    this.closedWith = [code, reason];
    for (const listener of this.listeners.splice(0)) listener();
  }
  once(_event: 'close', listener: () => void): this {
    this.listeners.push(listener);
    return this;
  }
}

/** A bus that records what is published and can be made to refuse. */
class FakeBus implements EventBus {
  readonly kind = 'memory' as const;
  readonly published: Array<[string, unknown]> = [];
  readonly handlers = new Map<string, BusHandler>();
  refusing = false;
  readonly reconnectCallbacks: Array<() => void> = [];
  async publish(channel: string, message: string): Promise<void> {
    if (this.refusing) throw new Error('bus down');
    this.published.push([channel, JSON.parse(message)]);
  }
  async subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    this.handlers.set(channel, handler);
    return async () => void this.handlers.delete(channel);
  }
  onReconnect(callback: () => void): () => void {
    this.reconnectCallbacks.push(callback);
    return () => undefined;
  }
  async ping(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}

async function setUp() {
  const logs: string[] = [];
  const logger = createLogger('info', new Writable({ write: (chunk: Buffer, _e, cb) => (logs.push(chunk.toString()), cb()) }));
  const bus = new FakeBus();
  const clock = { now: 1_000_000 };
  const sockets = new SessionSockets(bus, logger, () => clock.now);
  await sockets.start();
  return { bus, sockets, clock, logs, deliver: (message: string) => bus.handlers.get('sessions:ended')!(message) };
}

describe('SessionSockets', () => {
  it("closes this instance's sockets of the ended sessions before publishing, and only theirs", async () => {
    const { bus, sockets } = await setUp();
    const [a1, a2, b] = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    sockets.track('session-a', a1);
    sockets.track('session-a', a2);
    sockets.track('session-b', b);

    await sockets.announce({ sessionIds: ['session-a'], reason: 'ROTATED' });

    expect([a1.closedWith, a2.closedWith, b.closedWith]).toEqual([[4401, 'Session rotated'], [4401, 'Session rotated'], null]);
    expect(bus.published).toEqual([['sessions:ended', { sessionIds: ['session-a'], reason: 'ROTATED' }]]);
    expect(sockets.socketCount).toBe(1);
  });

  it("still closes this instance's sockets when the bus refuses, and logs it without failing", async () => {
    const { bus, sockets, logs } = await setUp();
    const socket = new FakeSocket();
    sockets.track('session-a', socket);
    bus.refusing = true;

    await expect(sockets.announce({ sessionIds: ['session-a'], reason: 'LOGOUT' })).resolves.toBeUndefined();

    expect(socket.closedWith).toEqual([4401, 'Session revoked']);
    expect(logs.join('')).toMatch(/could not announce ended sessions on the bus/);
  });

  it('closes a socket that registers just after the news of its session arrived, within a minute', async () => {
    const { sockets, clock, deliver } = await setUp();
    deliver(JSON.stringify({ sessionIds: ['session-a'], reason: 'REFRESH_TOKEN_REUSE' }));

    const late = new FakeSocket();
    expect(sockets.track('session-a', late)).toBe(false);
    expect(late.closedWith).toEqual([4401, 'Session revoked']);

    clock.now += 61_000;
    deliver(JSON.stringify({ sessionIds: ['session-z'], reason: 'LOGOUT' }));
    expect(sockets.track('session-a', new FakeSocket())).toBe(true);
  });

  it('does not publish again a session already announced within the last minute', async () => {
    const { bus, sockets } = await setUp();
    await sockets.announce({ sessionIds: ['session-a'], reason: 'EXPIRED' });
    await sockets.announce({ sessionIds: ['session-a'], reason: 'EXPIRED' });
    await sockets.announce({ sessionIds: ['session-a', 'session-b'], reason: 'LOGOUT' });
    expect(bus.published.map(([, message]) => message)).toEqual([
      { sessionIds: ['session-a'], reason: 'EXPIRED' },
      { sessionIds: ['session-b'], reason: 'LOGOUT' },
    ]);
  });

  it('ignores malformed messages and forgets closed sockets', async () => {
    const { sockets, deliver, logs } = await setUp();
    const socket = new FakeSocket();
    sockets.track('session-a', socket);
    for (const message of ['not json', 'null', '{"sessionIds":"session-a","reason":"LOGOUT"}', '{"sessionIds":["session-a"],"reason":"WHATEVER"}']) deliver(message);
    expect(socket.closedWith).toBeNull();
    expect(logs.filter((line) => line.includes('malformed'))).toHaveLength(4);

    socket.close(1000, 'bye');
    expect(sockets.socketCount).toBe(0);
  });
  it('after a bus outage, closes the sockets of sessions that ended meanwhile and keeps the others', async () => {
    const { bus, sockets } = await setUp();
    const [ended, alive] = [new FakeSocket(), new FakeSocket()];
    sockets.track('session-ended', ended);
    sockets.track('session-alive', alive);
    const asked: string[][] = [];
    sockets.checkAfterReconnect(async (ids) => {
      asked.push([...ids]);
      return [{ sessionIds: ['session-ended'], reason: 'LOGOUT' }];
    });
    for (const callback of bus.reconnectCallbacks) callback();
    await new Promise((r) => setImmediate(r));
    expect(asked).toEqual([['session-ended', 'session-alive']]);
    expect(ended.closedWith).toEqual([4401, 'Session revoked']);
    expect(alive.closedWith).toBeNull();
  });
});
