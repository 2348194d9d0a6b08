import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
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

  /**
   * Restarts any instance that exited, as an orchestrator's restart policy would (it was needed
   * while the key-pool crash below was open; with it fixed no instance should exit).
   */
  const superviseInstances = async (): Promise<string[]> => {
    const exited = deployment.instances.filter((i) => !i.alive && i.ended !== 'SIGKILL');
    const reports = exited.map((i) => `${i.name} exited (${i.ended}): ${i.crashReport.split('\n').slice(0, 4).join(' / ')}`);
    deployment.instances.splice(0, deployment.instances.length, ...deployment.instances.filter((i) => i.alive));
    for (let n = deployment.instances.length; n < 2; n++) await deployment.addInstance();
    return reports;
  };

  /**
   * KNOWN PROBLEM (open, not yet diagnosed): with the crash above fixed, instances survive the
   * restarts but this scenario no longer converges within its time limit on this machine; writes
   * sent while PostgreSQL is down get no answer within 20 s (see the last test) instead of a
   * prompt refusal. Suspects: the ORM pool waiting to acquire a connection without a connect or
   * acquire timeout, or requests holding connections that died with the restart. It passed
   * (0 missed, 0 duplicated, 0 unauthorised, nothing half-applied) while crashed instances were
   * being restarted. Remove `.fails` once writes fail fast during the outage.
   */
  it.fails('refuses writes cleanly while it is down, applies none by half, and delivers every stored update exactly once', { timeout: 120_000 }, async () => {
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
    const crashes: string[] = [];
    for (let i = 0; i < faults; i++) {
      await deployment.postgres.stop(i === 0 ? 'fast' : 'immediate');
      await pause(2000);
      await deployment.postgres.start();
      await pause(1000);
      crashes.push(...(await superviseInstances()));
      await pause(2000);
    }
    await load.stop();
    if (crashes.length > 0) console.log(`instances that exited and were restarted:\n${crashes.join('\n')}`);

    // A refused write is an error answer with no data, or (an instance went down) no answer at all.
    expect(load.refused.length).toBeGreaterThan(0);
    expect(load.refused.filter((r) => !r.network && r.code !== 'INTERNAL_SERVER_ERROR')).toEqual([]);
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
   * GAP (src/error-normaliser.ts): while PostgreSQL is down a write gets no answer within 20 s
   * (last run), or is refused as a generic INTERNAL_SERVER_ERROR (HTTP 500, sometimes 200; runs
   * before the key-pool fix), indistinguishable from a bug, although the
   * client should simply retry. The live feed already says `retryable: true` for the same outage
   * (`BusUnavailableError`). Likely fix: map driver connection failures (MikroORM
   * `ConnectionException`, SQLSTATE classes 08 and 57P0x, ECONNREFUSED/ECONNRESET) to an AppError
   * factory with `retryable: true` (and HTTP 503). Remove `.fails` once done.
   */
  it.fails('marks a write refused while PostgreSQL is down as retryable', async () => {
    await pause(11_000); // let idle key connections time out, so the crash above cannot interfere
    const load = new WriteLoad(() => deployment.alive.map((i) => i.url), [cast.p1]);
    await deployment.postgres.stop('fast');
    try {
      await load.writeSome(cast.p1, 1).catch(() => undefined);
    } finally {
      await deployment.postgres.start();
    }
    expect(load.refused).toHaveLength(1);
    expect(load.refused[0]).toMatchObject({ network: false, code: 'INTERNAL_SERVER_ERROR', retryable: true });
  });
});
