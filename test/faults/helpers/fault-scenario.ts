import { expect } from 'vitest';
import type { CradleInstance, HeapReading } from './cradle-instance.js';
import type { FaultCast, FaultDeployment } from './fault-deployment.js';
import { heapGrowthMiB, outboxDisagreements, tallyScenario, waitForDelivery, type LedgerResult } from './fault-ledger.js';
import { saveTally } from './fault-summary.js';
import { ResumingSubscriber, type SubscriberRecord } from './resuming-subscriber.js';
import type { WriteLoad } from './write-load.js';

/** How much an instance's heap (after a forced GC) may exceed its baseline once a scenario is over. */
export const HEAP_GROWTH_LIMIT_MIB = 24;

/**
 * The subscribers of a scenario on `instance`: one per member of the cast, two of them decoys
 * entitled to nothing (see {@link FaultCast}). All start from `since`.
 */
export function castSubscribers(cast: FaultCast, instance: CradleInstance, deployment: FaultDeployment, since: string): ResumingSubscriber[] {
  const people = [
    ['coordinator', cast.coordinator.token, [cast.p1.id, cast.p2.id, cast.p3.id]],
    ['midwife', cast.midwife.token, [cast.p1.id, cast.p2.id]],
    ['lactation (decoy)', cast.lactation.token, []],
    ['outsider (decoy)', cast.outsider.token, []],
    ['patient 1', cast.p1.user.token, [cast.p1.id]],
    ['patient 2', cast.p2.user.token, [cast.p2.id]],
  ] as const;
  return people.map(
    ([label, token, entitled]) => new ResumingSubscriber(`${label} on ${instance.name}`, token, new Set(entitled), since, instance, () => deployment.instances),
  );
}

/** Sleeps for real time (fault scenarios run against real processes; there is no clock to move). */
export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until every running instance reports no open WebSocket and no live subscription. */
export async function expectSocketsReleased(deployment: FaultDeployment, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: number[] = [];
  while (Date.now() < deadline) {
    last = await Promise.all(deployment.alive.flatMap((i) => [i.metric('cradle_ws_connections'), i.metric('cradle_live_subscriptions')]));
    if (last.every((n) => n === 0)) return;
    await pause(200);
  }
  expect(last, 'open WebSockets and live subscriptions per instance after every client left').toEqual(last.map(() => 0));
}

/** What a scenario hands to {@link finishScenario}. */
export interface ScenarioRun {
  readonly name: string;
  readonly faults: number;
  readonly tenantId: string;
  /** The cursor every subscriber started from (as a sequence number). */
  readonly afterSeq: number;
  readonly load: WriteLoad;
  readonly subscribers: readonly SubscriberRecord[];
  /** Subscribers to close before the memory reading. */
  readonly toStop: ReadonlyArray<{ stop(): Promise<void> }>;
  readonly heapBaseline: ReadonlyMap<string, HeapReading>;
  readonly resultsDir: string;
  /** How long delivery may take to converge after the load stopped. */
  readonly deliveryTimeoutMs?: number;
}

/**
 * Ends a scenario: waits for delivery to converge, closes every client, checks the sockets are
 * released and memory is back near its baseline, judges every subscriber against the database,
 * checks the outbox and the status updates pair up and everything was published, and saves the
 * tally for the summary table. Fails the test on any missed, duplicated or unauthorised delivery,
 * any acknowledged write that is not stored, or any write applied by half.
 */
export async function finishScenario(deployment: FaultDeployment, run: ScenarioRun): Promise<LedgerResult> {
  const step = (what: string) => process.env['CRADLE_FAULTS_DEBUG'] && process.stderr.write(`[${run.name}] ${new Date().toISOString()} ${what}\n`);
  step('waiting for delivery');
  await waitForDelivery(deployment, run.tenantId, run.afterSeq, run.subscribers, run.deliveryTimeoutMs ?? 60_000);
  step('closing clients');
  await Promise.all(run.toStop.map((s) => s.stop()));
  step('checking sockets');
  await expectSocketsReleased(deployment);
  step('reading heaps');
  const growth = heapGrowthMiB(run.heapBaseline, await deployment.heaps());
  step('tallying');
  const result = await tallyScenario(deployment, { name: run.name, faults: run.faults, tenantId: run.tenantId, afterSeq: run.afterSeq }, run.load, run.subscribers, growth);
  saveTally(run.resultsDir, result.tally);
  expect(result.problems).toEqual([]);
  expect(result.tally).toMatchObject({ missed: 0, duplicated: 0, unauthorised: 0, lostAcknowledged: 0 });
  expect(result.tally.acknowledged).toBeGreaterThan(0);
  expect(result.tally.delivered).toBeGreaterThan(0);
  const outbox = await waitForOutboxPublished(deployment);
  expect(outbox, 'status updates without their outbox event (or the reverse), and outbox events never published').toEqual({ unpaired: 0, unpublished: 0 });
  expect(growth ?? 0, `heap growth after a forced GC (MiB) over the baseline of ${[...run.heapBaseline.values()].map((h) => (h.heapUsed / 2 ** 20).toFixed(1)).join(', ')} MiB`).toBeLessThan(HEAP_GROWTH_LIMIT_MIB);
  return result;
}

async function waitForOutboxPublished(deployment: FaultDeployment): Promise<{ unpaired: number; unpublished: number }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const outbox = await outboxDisagreements(deployment);
    if (outbox.unpublished === 0 || Date.now() > deadline) return outbox;
    await pause(200);
  }
}
