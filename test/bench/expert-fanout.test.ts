import { describe, expect, it } from 'vitest';
import { MemoryPatientBus, PatientFanout, type PatientEvent } from '../../bench/baselines/expert-fanout.js';

const event = (patientId: string, n: number): PatientEvent => ({ patientId, kind: 'MOOD', cursor: `c${n}`, update: { n } });
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('B3 patient fan-out', () => {
  it("delivers a patient's event to that patient's listeners only, one shared event object", async () => {
    const fanout = new PatientFanout(new MemoryPatientBus(), 'p:');
    const got = { a: [] as PatientEvent[], b: [] as PatientEvent[], c: [] as PatientEvent[] };
    await fanout.listen(['p1', 'p2'], (e) => got.a.push(e));
    await fanout.listen(['p1'], (e) => got.b.push(e));
    await fanout.listen(['p3'], (e) => got.c.push(e));
    await fanout.publish(event('p1', 1));
    await fanout.publish(event('p2', 2));
    await settle();
    expect(got.a.map((e) => e.cursor)).toEqual(['c1', 'c2']);
    expect(got.b.map((e) => e.cursor)).toEqual(['c1']);
    expect(got.c).toEqual([]);
    expect(got.a[0]).toBe(got.b[0]);
  });

  it('subscribes a channel once however many listeners follow it, and unsubscribes when the last one leaves', async () => {
    const bus = new MemoryPatientBus();
    const fanout = new PatientFanout(bus, 'p:');
    const stops = await Promise.all(Array.from({ length: 50 }, () => fanout.listen(['p1'], () => undefined)));
    expect(bus.subscribeCalls).toBe(1);
    for (const stop of stops.slice(1)) stop();
    expect(bus.has(fanout.channelOf('p1'))).toBe(true);
    stops[0]!();
    stops[0]!();
    expect(bus.has(fanout.channelOf('p1'))).toBe(false);
    expect(fanout.patientCount).toBe(0);
  });

  it('stops delivering to a listener once removed', async () => {
    const fanout = new PatientFanout(new MemoryPatientBus(), 'p:');
    const got: string[] = [];
    const stop = await fanout.listen(['p1'], (e) => got.push(e.cursor));
    await fanout.listen(['p1'], () => undefined);
    await fanout.publish(event('p1', 1));
    await settle();
    stop();
    await fanout.publish(event('p1', 2));
    await settle();
    expect(got).toEqual(['c1']);
  });

  it('ignores a message whose body names another patient than its channel', async () => {
    const bus = new MemoryPatientBus();
    const fanout = new PatientFanout(bus, 'p:');
    const got: string[] = [];
    await fanout.listen(['p1'], (e) => got.push(e.patientId));
    await bus.publish(fanout.channelOf('p1'), JSON.stringify(event('p2', 1)));
    await settle();
    expect(got).toEqual([]);
  });
});
