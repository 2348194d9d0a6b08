import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import type { CradleInstance } from './helpers/cradle-instance.js';
import { FaultDeployment, type FaultCast } from './helpers/fault-deployment.js';
import { castSubscribers, finishScenario, pause } from './helpers/fault-scenario.js';
import { PATIENT_UPDATES_SINCE } from './helpers/resuming-subscriber.js';
import { WriteLoad } from './helpers/write-load.js';

const CYCLES = 10_000;
const CONCURRENCY = 40;
/** The churn stops here even if it has not reached CYCLES (a loaded machine); the count says how far it got. */
const CHURN_BUDGET_MS = 60_000;

/**
 * One connect/disconnect cycle: open a graphql-transport-ws socket, authenticate, and (every
 * other cycle) subscribe from `since` before closing without unsubscribing, the way a browser tab
 * that is closed does. Resolves with whether the server acknowledged the connection.
 */
function churnOnce(wsUrl: string, token: string, subscribe: boolean, since: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    const timer = setTimeout(() => socket.terminate(), 20_000);
    let acked = false;
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (data) => {
      if (!(JSON.parse(String(data)) as { type: string }).type.startsWith('connection_ack')) return;
      acked = true;
      if (subscribe) socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: PATIENT_UPDATES_SINCE, variables: { since } } }));
      socket.close(1000);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(acked);
    });
  });
}

describe('10k WebSocket connect/disconnect churn', () => {
  let deployment: FaultDeployment;
  let cast: FaultCast;

  beforeAll(async () => {
    deployment = await FaultDeployment.start(inject('faultBuildDir'), 1);
    cast = await deployment.createCast();
  });
  afterAll(async () => {
    await deployment?.close();
  });

  it('releases every socket and subscription, returns to its baseline memory, and disturbs no steady subscriber', async () => {
    const [a] = deployment.instances as [CradleInstance];
    const warmUp = new WriteLoad(() => [a.url], [cast.p1]);
    const [baseline] = await warmUp.writeSome(cast.p1, 1);
    const steady = castSubscribers(cast, a, deployment, baseline!.cursor);
    for (const s of steady) s.start();
    const load = new WriteLoad(() => [a.url], [cast.p1, cast.p2], 100);
    await load.writeSome(cast.p2, 3);
    for (let i = 0; i < 200; i++) await churnOnce(a.wsUrl, cast.midwife.token, i % 2 === 0, baseline!.cursor);
    await pause(1000);
    const heapBaseline = await deployment.heaps();

    load.start();
    const started = Date.now();
    let next = 0;
    let refused = 0;
    const worker = async () => {
      while (next < CYCLES && Date.now() - started < CHURN_BUDGET_MS) {
        const i = next++;
        if (!(await churnOnce(a.wsUrl, cast.midwife.token, i % 2 === 0, baseline!.cursor))) refused += 1;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const cycles = next;
    const seconds = (Date.now() - started) / 1000;
    await load.stop();
    console.log(`churn: ${cycles} connect/disconnect cycles in ${seconds.toFixed(1)} s (${(cycles / seconds).toFixed(0)}/s), ${refused} not acknowledged`);

    expect(refused).toBe(0);
    expect(cycles).toBeGreaterThan(0);
    expect(load.refused).toEqual([]);
    expect(steady.map((s) => s.resumes)).toEqual(steady.map(() => 0));
    await finishScenario(deployment, {
      name: `connect/disconnect churn (${cycles} cycles)`,
      faults: cycles,
      tenantId: cast.tenantId,
      afterSeq: baseline!.seq,
      load,
      subscribers: steady,
      toStop: steady,
      heapBaseline,
      resultsDir: inject('faultResultsDir'),
    });
  });
});
