import type { EntityManager } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { PatientAccess } from '../../src/auth/patient-access.js';
import { BoundedQueue } from '../../src/realtime/bounded-queue.js';
import { LiveSubscription, type LiveItem } from '../../src/realtime/live-subscription.js';
import { DEFAULT_RELEVANCE } from '../../src/realtime/relevance.js';

/** A stand-in event: the replay bookkeeping looks only at cursors. */
const item = (seq: number) => ({ cursor: `seq:${seq}` }) as unknown as LiveItem;

/** A subscription whose queue holds at most `capacity` events (half of them for held live events). */
function subscription(capacity: number, sinceSeq = 0): { live: LiveSubscription; queue: BoundedQueue<LiveItem>; overflows: () => number } {
  let overflows = 0;
  const queue = new BoundedQueue<LiveItem>({ maxItems: capacity, maxLagMs: 60_000 }, () => overflows++, () => undefined);
  // Never queried: the replay bookkeeping does no I/O.
  const access = new PatientAccess({} as EntityManager, { userId: 'u1', tenantId: 't1', role: 'MIDWIFE', tokenId: 'k' }, () => 0);
  const live = new LiveSubscription(access, new Map(), { sinceSeq }, queue, () => DEFAULT_RELEVANCE, () => 0);
  return { live, queue, overflows: () => overflows };
}

async function drain(queue: BoundedQueue<LiveItem>): Promise<string[]> {
  const cursors: string[] = [];
  while (queue.size > 0) cursors.push(((await queue.next()).value as { cursor: string }).cursor);
  return cursors;
}

describe('LiveSubscription replay switch-over', () => {
  it('holds live events during a replay and delivers them after it in cursor order, without those the replay sent', async () => {
    const { live, queue } = subscription(10, 3);
    expect(live.beginReplay()).toBe(true);
    const generation = live.replayGeneration;
    live.offer(6, item(6));
    live.offer(5, item(5));
    live.deliver(4, item(4));
    live.deliver(5, item(5));
    expect(live.endReplay(generation)).toBe(true);
    expect(await drain(queue)).toEqual(['seq:4', 'seq:5', 'seq:6']);
    live.offer(7, item(7));
    expect(await drain(queue)).toEqual(['seq:7']);
  });

  it('bounds the live events it holds: past the limit they are dropped and the replay must query again', async () => {
    const { live, queue, overflows } = subscription(10);
    live.beginReplay();
    const before = live.replayGeneration;
    for (let seq = 1; seq <= live.holdLimit + 1; seq++) live.offer(seq, item(seq));
    expect(live.endReplay(before)).toBe(false);
    // The next query, started after the drop, reads them from the database.
    const after = live.replayGeneration;
    for (let seq = 1; seq <= live.holdLimit + 1; seq++) live.deliver(seq, item(seq));
    expect(live.endReplay(after)).toBe(true);
    expect((await drain(queue)).length).toBe(live.holdLimit + 1);
    expect(overflows()).toBe(0);
  });

  it('never overflows the queue when it switches to live: held events that do not fit are read again instead', async () => {
    const { live, queue, overflows } = subscription(10);
    live.beginReplay();
    for (let seq = 1; seq <= live.replayAhead; seq++) live.deliver(seq, item(seq));
    const generation = live.replayGeneration;
    for (let seq = 20; seq < 20 + live.holdLimit; seq++) live.offer(seq, item(seq));
    live.deliver(live.replayAhead + 1, item(live.replayAhead + 1));
    expect(live.endReplay(generation)).toBe(false);
    expect(overflows()).toBe(0);
    expect(queue.size).toBe(live.replayAhead + 1);
  });

  it('makes a replay under way query once more when a catch-up asks, instead of starting a second one', () => {
    const { live } = subscription(10);
    expect(live.beginReplay()).toBe(true);
    const generation = live.replayGeneration;
    expect(live.beginReplay()).toBe(false);
    expect(live.endReplay(generation)).toBe(false);
    expect(live.endReplay(live.replayGeneration)).toBe(true);
    expect(live.replaying).toBe(false);
  });
});
