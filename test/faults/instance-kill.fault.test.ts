import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CradleInstance } from './helpers/cradle-instance.js';
import { FaultDeployment, type FaultCast } from './helpers/fault-deployment.js';
import { castSubscribers, finishScenario, pause } from './helpers/fault-scenario.js';
import { WriteLoad } from './helpers/write-load.js';

describe('a Cradle instance killed with SIGKILL mid-stream', () => {
  let deployment: FaultDeployment;
  let cast: FaultCast;

  beforeAll(async () => {
    deployment = await FaultDeployment.start(inject('faultBuildDir'), 3);
    cast = await deployment.createCast();
  });
  afterAll(async () => {
    await deployment?.close();
  });

  it('lets its subscribers resume on the other instances from their last cursor with no gap and no duplicate', async () => {
    const [a, b, c] = deployment.instances as [CradleInstance, CradleInstance, CradleInstance];
    const warmUp = new WriteLoad(() => [a.url], [cast.p1]);
    const [baseline] = await warmUp.writeSome(cast.p1, 1);
    // Subscribers on the doomed instance C, and a control group on A; writes go to A and B only.
    const doomed = castSubscribers(cast, c, deployment, baseline!.cursor);
    const control = castSubscribers(cast, a, deployment, baseline!.cursor);
    const subscribers = [...doomed, ...control];
    for (const s of subscribers) s.start();
    const load = new WriteLoad(() => [a, b].filter((i) => i.alive).map((i) => i.url), [cast.p1, cast.p2, cast.p3]);
    await load.writeSome(cast.p2, 3);
    await pause(1500);
    const heapBaseline = await deployment.heaps();

    load.start();
    await pause(3000);
    const receivedBeforeKill = doomed.map((s) => s.received.length);
    await c.kill();
    await pause(4000);
    await load.stop();

    expect(c.ended).toBe('SIGKILL');
    expect(receivedBeforeKill.some((n) => n > 0)).toBe(true);
    expect(load.refused).toEqual([]);
    // Every subscriber of C noticed the loss and resumed elsewhere; the control group never had to.
    expect(doomed.map((s) => s.resumes > 0)).toEqual(doomed.map(() => true));
    expect(control.map((s) => s.resumes)).toEqual(control.map(() => 0));
    await finishScenario(deployment, {
      name: 'instance killed (SIGKILL)',
      faults: 1,
      tenantId: cast.tenantId,
      afterSeq: baseline!.seq,
      load,
      subscribers,
      toStop: subscribers,
      heapBaseline,
      resultsDir: inject('faultResultsDir'),
    });
  });
});
