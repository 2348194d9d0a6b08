import type { HttpFloorResult, PgbenchResult, WsFloorResult } from './floors/floors.js';
import type { RoundResult, StepResult } from './scenario.js';
import { SYSTEMS, SYSTEM_IDS, type SystemId } from './systems.js';

/** Everything one `npm run bench` measured, as written to `bench/results/<stamp>.json`. */
export interface BenchReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly profile: Record<string, unknown>;
  readonly machine: Record<string, unknown>;
  readonly rounds: readonly RoundResult[];
  readonly floors: { readonly ws: readonly WsFloorResult[]; readonly pgbench: readonly PgbenchResult[]; readonly http: readonly HttpFloorResult[] };
  readonly extras: Readonly<Record<string, unknown>>;
  readonly notes: readonly string[];
}

/** The median of the defined values, or null when there are none. */
export function median(values: ReadonlyArray<number | null | undefined>): number | null {
  const defined = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (defined.length === 0) return null;
  const mid = Math.floor(defined.length / 2);
  return defined.length % 2 === 1 ? defined[mid]! : (defined[mid - 1]! + defined[mid]!) / 2;
}

const SYSTEM_ORDER: readonly SystemId[] = SYSTEM_IDS;

function fmt(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-GB');
  return value.toFixed(digits);
}

function kb(bytes: number | null): string {
  return bytes === null ? '–' : (bytes / 1024).toFixed(1);
}

function scenarioName(r: Pick<RoundResult, 'shape' | 'topics' | 'instances' | 'subscribers'>): string {
  const shape = r.shape === 'patient' ? 'patient (1)' : r.shape === 'team' ? `care team (10)${r.topics > 1 ? ` ×${r.topics} topics` : ''}` : 'unit-wide (all)';
  return `${r.subscribers.toLocaleString('en-GB')} subs, ${shape}, ${r.instances} inst.`;
}

/** Groups rounds by scenario and system, in the order they first ran. */
function groups(rounds: readonly RoundResult[]): Map<string, Map<SystemId, RoundResult[]>> {
  const out = new Map<string, Map<SystemId, RoundResult[]>>();
  for (const round of rounds) {
    const key = scenarioName(round);
    let bySystem = out.get(key);
    if (!bySystem) out.set(key, (bySystem = new Map()));
    bySystem.set(round.system, [...(bySystem.get(round.system) ?? []), round]);
  }
  return out;
}

/** Highest deliveries/s of a round among steps that kept up with delivery p99 under 100 ms. */
function sustained(round: RoundResult): number | null {
  const ok = round.steps.filter((s) => s.keptUp && (s.delivery.p99Ms ?? Infinity) < 100).map((s) => s.deliveriesPerSec);
  return ok.length > 0 ? Math.max(...ok) : null;
}

/** Renders the report as Markdown: per-rate latency and cost, per-scenario capacity and memory, floors, extras. */
export function renderMarkdown(report: BenchReport): string {
  const lines: string[] = [];
  const ran = SYSTEMS.filter((s) => report.rounds.some((r) => r.system === s.id));
  lines.push(`Run ${report.startedAt} → ${report.finishedAt}; medians over ${String(report.profile['rounds'])} alternating rounds (${[...ran.map((s) => s.id), '…'].join(', ')}). Latencies in ms; CPU in µs of server CPU (all instances); memory in KB.`);
  lines.push(`${ran.map((s) => `${s.id} = ${s.label}`).join('; ')}.`);
  lines.push('Late = deliveries still outstanding when the drain window after a step ended; Miss = those that never arrived (the backlog is awaited while it keeps draining, up to 2 minutes).');
  lines.push('');
  lines.push('| Scenario | Sys | Rate/s | Mut/s | Mut p99 | Deliv/s | p50 | p99 | p99.9 | max | Last sub p99 | CPU µs/deliv | CPU µs/mut | Loop p99 | Rounds | Late | Miss | Dup | Unauth |');
  lines.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  const scenarioRows: string[] = [];
  for (const [scenario, bySystem] of groups(report.rounds)) {
    for (const system of SYSTEM_ORDER) {
      const rounds = bySystem.get(system);
      if (!rounds) continue;
      const rates = [...new Set(rounds.flatMap((r) => r.steps.map((s) => s.rate)))].sort((a, b) => a - b);
      for (const rate of rates) {
        const steps = rounds.map((r) => r.steps.find((s) => s.rate === rate)).filter((s): s is StepResult => !!s);
        const m = (pick: (s: StepResult) => number | null) => median(steps.map(pick));
        const sum = (pick: (s: StepResult) => number) => steps.reduce((n, s) => n + pick(s), 0);
        const failedRounds = steps.filter((s) => !s.keptUp).length;
        lines.push(
          `| ${scenario} | ${system} | ${rate} | ${fmt(m((s) => s.mutationsPerSec))} | ${fmt(m((s) => s.mutationP99Ms))} | ${fmt(m((s) => s.deliveriesPerSec), 0)} | ` +
            `${fmt(m((s) => s.delivery.p50Ms), 2)} | ${fmt(m((s) => s.delivery.p99Ms), 2)} | ${fmt(m((s) => s.delivery.p999Ms), 2)} | ${fmt(m((s) => s.delivery.maxMs), 2)} | ` +
            `${fmt(m((s) => s.lastSubscriber.p99Ms), 2)} | ${fmt(m((s) => s.cpuUsPerDelivery))} | ${fmt(m((s) => s.cpuUsPerMutation), 0)} | ${fmt(m((s) => s.eventLoopP99Ms), 2)} | ` +
            `${steps.length}${failedRounds > 0 ? ` (${failedRounds} fell behind)` : ''} | ${sum((s) => s.late)} | ${sum((s) => s.counts.misses)} | ${sum((s) => s.counts.duplicates)} | ${sum((s) => s.counts.unauthorised)} |`,
        );
      }
      scenarioRows.push(
        `| ${scenario} | ${system} | ${fmt(median(rounds.map(sustained)), 0)} | ${kb(median(rounds.map((r) => r.rssPerSubscriptionBytes)))} | ` +
          `${kb(median(rounds.map((r) => r.heapPerSubscriptionBytes)))} | ${fmt(median(rounds.map((r) => r.churnPerSec)), 0)} |`,
      );
    }
  }
  lines.push('');
  lines.push('| Scenario | Sys | Max sustained deliv/s (p99 < 100 ms) | RSS KB / idle sub | Heap KB / idle sub | Churn cycles/s |');
  lines.push('|---|---|--:|--:|--:|--:|');
  lines.push(...scenarioRows);

  const slow = report.rounds.filter((r) => r.slowConsumer);
  if (slow.length > 0) {
    lines.push('');
    lines.push('| Slow consumer | Sys | Stall s | Rate/s | Server RSS growth KB | Others p99 | Others missed | Stalled reader cut off |');
    lines.push('|---|---|--:|--:|--:|--:|--:|---|');
    for (const [scenario, bySystem] of groups(slow)) {
      for (const system of SYSTEM_ORDER) {
        const rounds = bySystem.get(system);
        if (!rounds) continue;
        const sc = rounds.map((r) => r.slowConsumer!);
        lines.push(
          `| ${scenario} | ${system} | ${sc[0]!.durationMs / 1000} | ${sc[0]!.rate} | ${kb(median(sc.map((s) => s.rssGrowthBytes)))} | ${fmt(median(sc.map((s) => s.othersP99Ms)), 2)} | ` +
            `${sc.reduce((n, s) => n + s.othersMisses, 0)} | ${sc.filter((s) => s.stalledReaderDisconnected).length}/${sc.length} |`,
        );
      }
    }
  }

  lines.push('');
  lines.push('| Floor | Measure | Median |');
  lines.push('|---|---|--:|');
  const ws = report.floors.ws;
  if (ws.length > 0) {
    lines.push(`| raw ws broadcast, ${ws[0]!.sockets} sockets | RSS KB / idle socket | ${kb(median(ws.map((w) => w.rssPerSocketBytes)))} |`);
    const rates = [...new Set(ws.flatMap((w) => w.steps.map((s) => s.rate)))].sort((a, b) => a - b);
    for (const rate of rates) {
      const steps = ws.map((w) => w.steps.find((s) => s.rate === rate)).filter((s) => !!s);
      lines.push(
        `| raw ws broadcast, ${rate}/s | deliv/s · p99 ms · last-sub p99 ms · CPU µs/deliv | ${fmt(median(steps.map((s) => s.deliveriesPerSec)), 0)} · ` +
          `${fmt(median(steps.map((s) => s.delivery.p99Ms)), 2)} · ${fmt(median(steps.map((s) => s.lastSubscriber.p99Ms)), 2)} · ${fmt(median(steps.map((s) => s.cpuUsPerDelivery)), 2)} |`,
      );
    }
  }
  const pgb = report.floors.pgbench;
  if (pgb.length > 0) lines.push(`| pgbench, Cradle's write (cursor + insert + outbox), ${pgb[0]!.clients} clients | transactions/s · avg latency ms | ${fmt(median(pgb.map((p) => p.tps)), 0)} · ${fmt(median(pgb.map((p) => p.latencyAvgMs)), 2)} |`);
  const http = report.floors.http;
  if (http.length > 0) lines.push(`| bare Node HTTP under autocannon, ${http[0]!.connections} connections | requests/s · p99 ms | ${fmt(median(http.map((h) => h.requestsPerSec)), 0)} · ${fmt(median(http.map((h) => h.latencyP99Ms)), 1)} |`);

  const extras = Object.entries(report.extras);
  if (extras.length > 0) {
    lines.push('');
    lines.push('Other measurements (their own scripts, run once):');
    lines.push('');
    for (const [name, value] of extras) {
      const text = typeof value === 'object' && value !== null && 'markdown' in value ? String((value as { markdown: unknown }).markdown) : `\`${JSON.stringify(value)}\``;
      const failed = typeof value === 'object' && value !== null && 'failed' in value ? ` (${String((value as { failed: unknown }).failed)})` : '';
      lines.push(`**${name}**${failed}`, '', text.trim(), '');
    }
  }
  if (report.notes.length > 0) {
    lines.push('');
    for (const note of report.notes) lines.push(`- ${note}`);
  }
  return `${lines.join('\n')}\n`;
}
