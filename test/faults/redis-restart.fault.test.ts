import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultDeployment, type FaultCast } from './helpers/fault-deployment.js';
import { castSubscribers, finishScenario, pause } from './helpers/fault-scenario.js';
import { WriteLoad } from './helpers/write-load.js';

describe('Redis killed and restarted under write load', () => {
  let deployment: FaultDeployment;
  let cast: FaultCast;

  beforeAll(async () => {
    deployment = await FaultDeployment.start(inject('faultBuildDir'), 2);
    cast = await deployment.createCast();
  });
  afterAll(async () => {
    await deployment?.close();
  });

  it('acknowledges every write, and every entitled subscriber on either instance gets each exactly once, decoys nothing', async () => {
    const [a, b] = deployment.instances as [typeof deployment.instances[0], typeof deployment.instances[0]];
    const warmUp = new WriteLoad(() => [a.url], [cast.p1]);
    const [baseline] = await warmUp.writeSome(cast.p1, 1);
    const subscribers = [...castSubscribers(cast, a, deployment, baseline!.cursor), ...castSubscribers(cast, b, deployment, baseline!.cursor)];
    for (const s of subscribers) s.start();
    const load = new WriteLoad(() => deployment.alive.map((i) => i.url), [cast.p1, cast.p2, cast.p3]);
    await load.writeSome(cast.p2, 3);
    await pause(1500);
    const heapBaseline = await deployment.heaps();

    load.start();
    await pause(1500);
    const faults = 2;
    for (let i = 0; i < faults; i++) {
      await deployment.redis.kill();
      await pause(2000);
      await deployment.redis.start();
      await pause(2500);
    }
    await load.stop();

    expect(load.refused).toEqual([]);
    await finishScenario(deployment, {
      name: 'Redis killed and restarted',
      faults,
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
