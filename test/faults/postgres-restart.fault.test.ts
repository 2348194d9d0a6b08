import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { wsClient } from '../helpers/graphql-client.js';
import { FaultDeployment, type FaultCast } from './helpers/fault-deployment.js';
import { castSubscribers, finishScenario, pause } from './helpers/fault-scenario.js';
import { WriteLoad } from './helpers/write-load.js';

describe('PostgreSQL restarted under write load', () => {
  let deployment: FaultDeployment;
  let cast: FaultCast;

  beforeAll(async () => {
    deployment = await FaultDeployment.start(inject('faultBuildDir'), 2);
    cast = await deployment.createCast();
  });
  afterAll(async () => {
    await deployment?.close();
  });

  /** The instances that exited (none may: every worker must survive the outage), with what they printed. */
  const exited = () => deployment.instances.filter((i) => !i.alive).map((i) => `${i.name} exited (${i.ended}): ${i.crashReport.split('\n').slice(0, 4).join(' / ')}`);

  /** Waits until the alerting worker of the deployment has evaluated the tenant's whole event stream. */
  const alertingCaughtUp = async (tenantId: string, timeoutMs: number): Promise<{ eventSeq: number; evaluatedThrough: number }> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = await deployment.sql<{ event_seq: string; last_seq: string }>(
        'select t.event_seq, c.last_seq from tenant t join alerting_cursor c on c.tenant_id = t.id where t.id = $1',
        [tenantId],
      );
      const state = { eventSeq: Number(row!.event_seq), evaluatedThrough: Number(row!.last_seq) };
      if (state.evaluatedThrough >= state.eventSeq || Date.now() > deadline) return state;
      await pause(250);
    }
  };

  /**
   * Regression: writes during the outage waited without end, and after a few restarts under load
   * every query did: a transaction whose connection died could neither commit nor roll back, so
   * Kysely never gave the connection back and the ORM's pool filled with dead ones (fixed in
   * `src/db/broken-connections.ts`; the pool also has a connect timeout now). Refusals were a
   * generic INTERNAL_SERVER_ERROR; they are now retryable (`src/db/database-unavailable.ts`).
   */
  it('refuses writes promptly and retryably while it is down, applies none by half, resumes every worker, and delivers every stored update exactly once', { timeout: 180_000 }, async () => {
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
      await deployment.postgres.stop(i === 0 ? 'fast' : 'immediate');
      await pause(2000);
      await deployment.postgres.start();
      await pause(3000);
    }
    await load.stop();
    expect(exited()).toEqual([]);

    // Every refusal is an answer (no instance went down, nothing hung) and prompt (the connect
    // timeout is 5 s): retryable with 503, or, for a write committed just before PostgreSQL went
    // away whose audit record then could not be written, explicitly not retryable.
    expect(load.refused.length).toBeGreaterThan(0);
    const clean = (r: (typeof load.refused)[number]) =>
      !r.network && r.code === 'INTERNAL_SERVER_ERROR' && ((r.retryable === true && r.status === 503) || (r.retryable === false && r.status === 200));
    const errorLogs = deployment.instances.flatMap((i) => i.logs.split('\n').filter((l) => l.startsWith('{"level":50')).slice(-6));
    expect(load.refused.filter((r) => !clean(r)), errorLogs.join('\n')).toEqual([]);
    expect(load.refused.filter((r) => r.retryable === true).length).toBeGreaterThan(0);
    expect(Math.max(...load.refused.map((r) => r.durationMs))).toBeLessThan(10_000);
    // Writes work again on every instance.
    for (const instance of deployment.alive) await new WriteLoad(() => [instance.url], [cast.p3]).writeOnceRecovered(cast.p3, 3, 20_000);
    // The alerting worker resumed and evaluated everything written meanwhile.
    const alerting = await alertingCaughtUp(cast.tenantId, 30_000);
    expect(alerting.evaluatedThrough).toBe(alerting.eventSeq);

    await finishScenario(deployment, {
      name: 'PostgreSQL restarted (fast, then immediate)',
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

  /**
   * Regression: the key-maintenance pool of src/db/orm.ts had no 'error' listener, so when
   * PostgreSQL ended its idle connection (FATAL 57P01 on a restart) pg-pool's 'error' event ended
   * the process: every instance whose key connection was idle (up to 10 s after a key
   * reservation, e.g. just after start) crashed. Fixed by `keyPool.on('error', …)`.
   */
  it('keeps an instance running when PostgreSQL restarts while its field-key connection is idle', async () => {
    const fresh = await deployment.addInstance();
    await deployment.postgres.stop('fast');
    await deployment.postgres.start();
    await pause(3000);
    expect(fresh.ended, fresh.crashReport.split('\n').slice(0, 4).join('\n')).toBeNull();
  });

  /**
   * Regression: a write sent while PostgreSQL was down got no answer within 20 s, or a generic
   * INTERNAL_SERVER_ERROR (HTTP 500, sometimes 200) indistinguishable from a bug; a WebSocket that
   * connected meanwhile was closed with 4500 and the driver's message as its reason.
   */
  it('refuses a write while it is down as retryable, with 503, and asks a connecting WebSocket to try again later', async () => {
    await pause(11_000); // idle key connections time out, as in the regression test above
    const load = new WriteLoad(() => deployment.alive.map((i) => i.url), [cast.p1]);
    await deployment.postgres.stop('fast');
    const closes: number[] = [];
    try {
      await load.writeSome(cast.p1, 1).catch(() => undefined);
      const client = wsClient(deployment.alive[0]!.wsUrl, cast.midwife.token, (code) => closes.push(code));
      const deadline = Date.now() + 15_000;
      while (closes.length === 0 && Date.now() < deadline) await pause(100);
      await client.dispose();
    } finally {
      await deployment.postgres.start();
    }
    expect(load.refused).toHaveLength(1);
    expect(load.refused[0]).toMatchObject({ network: false, status: 503, code: 'INTERNAL_SERVER_ERROR', retryable: true });
    expect(load.refused[0]!.durationMs).toBeLessThan(10_000);
    expect(closes[0]).toBe(1013);
    await new WriteLoad(() => deployment.alive.map((i) => i.url), [cast.p1]).writeOnceRecovered(cast.p1, 2, 20_000);
  });
});
