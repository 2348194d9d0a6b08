import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seqOf } from '../helpers/live.js';
import { RawWebSocket } from '../helpers/raw-ws.js';
import type { CradleInstance } from './helpers/cradle-instance.js';
import { FaultDeployment, type FaultCast } from './helpers/fault-deployment.js';
import { castSubscribers, finishScenario, pause } from './helpers/fault-scenario.js';
import { ResumingSubscriber, type ReceivedEvent, type SubscriberRecord } from './helpers/resuming-subscriber.js';
import { WriteLoad } from './helpers/write-load.js';

/** Each event asks for its data 40 times over, so a few hundred events overflow the loopback socket buffers. */
const HEAVY = `subscription($since: String) { patientUpdates(since: $since) { cursor update { id ${Array.from({ length: 40 }, (_, i) => `d${i}: data`).join(' ')} } } }`;
const NOTE = 'synthetic fault-suite note '.repeat(70);

/** The events a raw graphql-transport-ws socket received (complete frames only). */
function eventsOf(socket: RawWebSocket): ReceivedEvent[] {
  return socket.messages.flatMap((text) => {
    const message = JSON.parse(text) as { type: string; payload?: { data?: { patientUpdates?: { cursor: string; update: { id: string } } } } };
    const event = message.type === 'next' ? message.payload?.data?.patientUpdates : undefined;
    return event ? [{ cursor: event.cursor, id: event.update.id }] : [];
  });
}

describe('a subscriber whose network stalls (it stops reading)', () => {
  let deployment: FaultDeployment;
  let cast: FaultCast;

  beforeAll(async () => {
    deployment = await FaultDeployment.start(inject('faultBuildDir'), 2, {
      CRADLE_LIVE_BUFFER_EVENTS: '50',
      CRADLE_LIVE_MAX_LAG_MS: '3000',
      CRADLE_MAX_ALIASES: '50',
    });
    cast = await deployment.createCast();
  });
  afterAll(async () => {
    await deployment?.close();
  });

  it('is cut off with 4413 while the others keep up, and resumes with since missing nothing', async () => {
    const [a, b] = deployment.instances as [CradleInstance, CradleInstance];
    const warmUp = new WriteLoad(() => [a.url], [cast.p1]);
    const [baseline] = await warmUp.writeSome(cast.p1, 1);
    const othersOnA = castSubscribers(cast, a, deployment, baseline!.cursor);
    const others = [...othersOnA, ...castSubscribers(cast, b, deployment, baseline!.cursor)];
    for (const s of others) s.start();
    const stalled = await RawWebSocket.open(a.wsUrl, 'graphql-transport-ws');
    stalled.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${cast.midwife.token}` } }));
    await stalled.message((m) => m.includes('"connection_ack"'));
    stalled.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: HEAVY, variables: { since: baseline!.cursor } } }));
    // A steady rate the other subscribers keep up with on a busy two-core machine (each delivery
    // waits for its audit record), while the stalled socket's buffers fill within seconds.
    const load = new WriteLoad(() => deployment.alive.map((i) => i.url), [cast.p1, cast.p2, cast.p3], 20, NOTE);
    const [first] = await load.writeSome(cast.p1, 1);
    await stalled.message((m) => m.includes(first!.id), 20_000);
    await pause(1000);
    const heapBaseline = await deployment.heaps();

    stalled.stopReading();
    load.start(3);
    // Cut off on instance A, and not (only) another subscriber there that fell behind: those see
    // their own 4413. Checked twice, a second apart, so that such a close has time to arrive.
    const othersCutOffOnA = () => othersOnA.reduce((n, s) => n + s.closeCodes.filter((c) => c === 4413).length, 0);
    const stalledCutOff = async () => (await a.metric('cradle_slow_consumers_dropped_total')) > othersCutOffOnA();
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && !((await stalledCutOff()) && (await pause(1000), await stalledCutOff()))) await pause(250);
    await load.stop();
    stalled.resumeReading();
    const othersCutOff = () => others.map((s) => `${s.label}: ${s.closeCodes.join(',') || 'none'}`).join('; ');
    expect(await stalled.closed(30_000).catch((err: Error) => `${err.message}; close codes of the others: ${othersCutOff()}`)).toBe(4413);
    stalled.destroy();

    const received = eventsOf(stalled);
    const lastCursor = received.reduce((best, e) => (seqOf(e.cursor) > seqOf(best) ? e.cursor : best), baseline!.cursor);
    const resumed = new ResumingSubscriber('stalled midwife, resumed', cast.midwife.token, new Set([cast.p1.id, cast.p2.id]), lastCursor, b, () => deployment.instances);
    resumed.start();
    const stalledRecord: SubscriberRecord = {
      label: `stalled midwife (raw socket got ${received.length} events up to seq ${seqOf(lastCursor)}, resumed from there)`,
      entitled: resumed.entitled,
      get received() {
        return [...received, ...resumed.received];
      },
    };
    expect(load.refused).toEqual([]);
    await finishScenario(deployment, {
      name: 'subscriber stalled (cut off with 4413, resumed)',
      faults: 1,
      tenantId: cast.tenantId,
      afterSeq: baseline!.seq,
      load,
      subscribers: [...others, stalledRecord],
      toStop: [...others, resumed],
      heapBaseline,
      resultsDir: inject('faultResultsDir'),
    });
    expect(resumed.received.length).toBeGreaterThan(0);
  });
});
