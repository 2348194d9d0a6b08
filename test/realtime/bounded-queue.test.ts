import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../src/realtime/bounded-queue.js';

describe('BoundedQueue', () => {
  it('yields pushed items in order to a reader that keeps up', async () => {
    const q = new BoundedQueue<number>({ maxItems: 2, maxLagMs: 1000 }, () => undefined, () => undefined);
    const pending = q.next();
    q.push(1);
    q.push(2);
    q.push(3);
    expect(await pending).toEqual({ value: 1, done: false });
    expect(await q.next()).toEqual({ value: 2, done: false });
    expect(await q.next()).toEqual({ value: 3, done: false });
  });

  it('cuts off a reader that falls more than the limit behind, once', () => {
    let overflows = 0;
    let ends = 0;
    const q = new BoundedQueue<number>({ maxItems: 2, maxLagMs: 1000 }, () => overflows++, () => ends++);
    expect([q.push(1), q.push(2), q.push(3), q.push(4)]).toEqual([true, true, false, false]);
    expect(overflows).toBe(1);
    expect(ends).toBe(1);
    expect(q.size).toBe(0);
  });

  it('cuts off a reader that leaves an item unread longer than the lag bound, even without new items', () => {
    let now = 0;
    let overflows = 0;
    const q = new BoundedQueue<number>({ maxItems: 100, maxLagMs: 1000 }, () => overflows++, () => undefined, () => now);
    q.push(1);
    now = 1000;
    expect(q.checkStall()).toBe(false);
    now = 1001;
    expect(q.checkStall()).toBe(true);
    expect(overflows).toBe(1);
    expect(q.push(2)).toBe(false);
  });

  it('lets a bursty reader that keeps up stay connected', async () => {
    let now = 0;
    let overflows = 0;
    const q = new BoundedQueue<number>({ maxItems: 100, maxLagMs: 1000 }, () => overflows++, () => undefined, () => now);
    for (let i = 0; i < 50; i++) q.push(i);
    now = 900;
    for (let i = 0; i < 50; i++) expect((await q.next()).value).toBe(i);
    now = 5000;
    expect(q.checkStall()).toBe(false);
    expect(overflows).toBe(0);
  });

  it('keeps a reader that is still taking items connected through a burst that outlasts the lag bound', async () => {
    let now = 0;
    let overflows = 0;
    const q = new BoundedQueue<number>({ maxItems: 100, maxLagMs: 1000 }, () => overflows++, () => undefined, () => now);
    for (let i = 0; i < 50; i++) q.push(i);
    for (let i = 0; i < 50; i++) {
      now += 200;
      expect(q.checkStall()).toBe(false);
      expect((await q.next()).value).toBe(i);
    }
    expect([overflows, q.isEnded]).toEqual([0, false]);
  });

  it('cuts off a reader that stops taking items part-way through a burst', async () => {
    let now = 0;
    let overflows = 0;
    const q = new BoundedQueue<number>({ maxItems: 100, maxLagMs: 1000 }, () => overflows++, () => undefined, () => now);
    for (let i = 0; i < 10; i++) q.push(i);
    now = 500;
    await q.next();
    now = 1500;
    expect(q.checkStall()).toBe(false);
    now = 1501;
    expect(q.checkStall()).toBe(true);
    expect(overflows).toBe(1);
  });

  it('completes a waiting reader when ended', async () => {
    const q = new BoundedQueue<number>({ maxItems: 2, maxLagMs: 1000 }, () => undefined, () => undefined);
    const pending = q.next();
    await q.return();
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it('lets a producer wait until the reader has made room, and releases it when the queue ends', async () => {
    const q = new BoundedQueue<number>({ maxItems: 4, maxLagMs: 1000 }, () => undefined, () => undefined);
    for (let i = 0; i < 4; i++) q.push(i);
    let roomAtTwo = false;
    const waiting = q.whenAtMost(2).then(() => (roomAtTwo = true));
    await q.next();
    await Promise.resolve();
    expect(roomAtTwo).toBe(false);
    await q.next();
    await waiting;
    expect([roomAtTwo, q.size]).toEqual([true, 2]);
    const released = q.whenAtMost(0);
    q.end();
    await expect(released).resolves.toBeUndefined();
  });

  it('ends with an error that the next read rejects with once, then completes', async () => {
    let ends = 0;
    const q = new BoundedQueue<number>({ maxItems: 4, maxLagMs: 1000 }, () => undefined, () => ends++);
    const waiting = q.next();
    q.fail(new Error('database unavailable'));
    await expect(waiting).rejects.toThrow('database unavailable');
    expect(await q.next()).toEqual({ value: undefined, done: true });
    const later = new BoundedQueue<number>({ maxItems: 4, maxLagMs: 1000 }, () => undefined, () => ends++);
    later.push(1);
    later.fail(new Error('gone'));
    await expect(later.next()).rejects.toThrow('gone');
    expect(ends).toBe(2);
  });
});
