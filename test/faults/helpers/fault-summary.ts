import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One scenario's outcome, as the summary table prints it. Counts are events (status updates) unless
 * said otherwise; `delivered` counts distinct (subscriber, event) pairs received, live or by resume.
 */
export interface FaultTally {
  readonly scenario: string;
  /** Faults injected (kills, restarts, stalls, or connect/disconnect cycles for the churn). */
  readonly faults: number;
  /** Status updates committed during the scenario (the database's count, acknowledged or not). */
  readonly written: number;
  /** Writes the server acknowledged. */
  readonly acknowledged: number;
  /** Writes refused (with the error the client saw); they must be absent from the database. */
  readonly refused: number;
  readonly delivered: number;
  /** (subscriber, event) pairs an entitled subscriber never received. */
  readonly missed: number;
  /** Events a subscriber received more than once (counted per extra copy). */
  readonly duplicated: number;
  /** Events delivered to a subscriber not entitled to them (decoys, other patients, wrong roles). */
  readonly unauthorised: number;
  /** Acknowledged writes missing from the database. */
  readonly lostAcknowledged: number;
  /** Largest growth of an instance's heap after a forced GC over its baseline, in MiB (`null`: every instance was replaced). */
  readonly heapGrowthMiB: number | null;
}

/** Where a scenario leaves its tally for the table printed at the end of the run. */
export function saveTally(resultsDir: string, tally: FaultTally): void {
  const file = `${tally.scenario.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.json`;
  writeFileSync(join(resultsDir, file), JSON.stringify(tally));
}

/** Reads every saved tally (by scenario name). */
export function loadTallies(resultsDir: string): FaultTally[] {
  return readdirSync(resultsDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(resultsDir, f), 'utf8')) as FaultTally);
}

const COLUMNS: ReadonlyArray<[string, (t: FaultTally) => string]> = [
  ['scenario', (t) => t.scenario],
  ['faults injected', (t) => String(t.faults)],
  ['events written', (t) => String(t.written)],
  ['acknowledged', (t) => String(t.acknowledged)],
  ['refused', (t) => String(t.refused)],
  ['delivered', (t) => String(t.delivered)],
  ['missed', (t) => String(t.missed)],
  ['duplicated', (t) => String(t.duplicated)],
  ['unauthorised', (t) => String(t.unauthorised)],
  ['acked but lost', (t) => String(t.lostAcknowledged)],
  ['heap growth (MiB)', (t) => (t.heapGrowthMiB === null ? 'n/a (replaced)' : t.heapGrowthMiB.toFixed(1))],
];

/** The summary as a Markdown table, with a totals row. */
export function renderTallies(tallies: readonly FaultTally[]): string {
  const sum = (pick: (t: FaultTally) => number) => tallies.reduce((n, t) => n + pick(t), 0);
  const total: FaultTally = {
    scenario: '**total**',
    faults: sum((t) => t.faults),
    written: sum((t) => t.written),
    acknowledged: sum((t) => t.acknowledged),
    refused: sum((t) => t.refused),
    delivered: sum((t) => t.delivered),
    missed: sum((t) => t.missed),
    duplicated: sum((t) => t.duplicated),
    unauthorised: sum((t) => t.unauthorised),
    lostAcknowledged: sum((t) => t.lostAcknowledged),
    heapGrowthMiB: Math.max(0, ...tallies.map((t) => t.heapGrowthMiB ?? 0)),
  };
  const rows = [...tallies, total].map((t) => COLUMNS.map(([, cell]) => cell(t)));
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(COLUMNS.map(([name]) => name)), line(COLUMNS.map(() => '---')), ...rows.map(line)].join('\n');
}
