import { describe, expect, it } from 'vitest';
import type { DeliveryCounts } from '../../bench/lib/delivery-tracker.js';
import { renderMarkdown, type BenchReport } from '../../bench/report.js';
import type { RoundResult, StepResult } from '../../bench/scenario.js';
import type { SystemId } from '../../bench/systems.js';

const counts: DeliveryCounts = { sent: 10, deliveries: 10, misses: 0, duplicates: 0, unauthorised: 0, unknown: 0, subscriptionErrors: 0 };
const latency = (p99Ms: number) => ({ count: 10, p50Ms: p99Ms / 2, p99Ms, p999Ms: p99Ms, maxMs: p99Ms });

function step(rate: number, p99Ms: number, cpuUsPerMutation: number): StepResult {
  return {
    rate, mutationsSent: rate, mutationsFailed: 0, mutationsPerSec: rate, mutationP99Ms: p99Ms, delivery: latency(p99Ms), lastSubscriber: latency(p99Ms),
    deliveriesPerSec: rate, cpuUsPerDelivery: cpuUsPerMutation, cpuUsPerMutation, eventLoopP99Ms: 5, counts, late: 0, keptUp: true,
  };
}

function round(system: SystemId, n: number, p99Ms: number): RoundResult {
  return {
    system, shape: 'patient', topics: 1, instances: 1, subscribers: 1000, round: n, rssPerSubscriptionBytes: 50_000, heapPerSubscriptionBytes: 25_000,
    steps: [step(100, p99Ms, 4000)], churnPerSec: 200, slowConsumer: null,
  };
}

function report(rounds: RoundResult[]): BenchReport {
  return {
    startedAt: '2026-12-07T13:00:00.000Z', finishedAt: '2026-12-07T13:30:00.000Z', profile: { rounds: 2 }, machine: {}, rounds,
    floors: { ws: [], pgbench: [], http: [] }, extras: {}, notes: [],
  };
}

describe('the bench report', () => {
  it('lists B3 after B2 in every table, with its median over the rounds', () => {
    const rounds = (['B3', 'A', 'B2', 'B1'] as const).flatMap((s, i) => [round(s, 1, 10 + i), round(s, 2, 30 + i)]);
    const markdown = renderMarkdown(report(rounds));
    const rows = markdown.split('\n').filter((line) => line.startsWith('| 1,000 subs, patient (1), 1 inst. |') && line.includes('| 100 | 100.0 |'));
    expect(rows.map((line) => line.split(' | ')[1])).toEqual(['A', 'B1', 'B2', 'B3']);
    expect(rows[3]).toContain('| 20.00 |');
  });

  it('names in its legend exactly the systems that ran', () => {
    const markdown = renderMarkdown(report([round('A', 1, 10), round('B3', 1, 5)]));
    expect(markdown).toContain('alternating rounds (A, B3, …)');
    expect(markdown).toMatch(/A = Cradle; B3 = expert: Apollo \+ graphql-ws, node-postgres prepared statements/);
    expect(markdown).not.toContain('B1 =');
  });
});
