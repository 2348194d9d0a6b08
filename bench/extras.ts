import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The other benchmarks of issues 6 and 8, owned by their features' engineers; run as they are,
 * once. Those with `smoke` settings also run, so, in the smoke profile.
 */
const SCRIPTS: ReadonlyArray<{ name: string; file: string; env: Record<string, string>; smoke?: Record<string, string>; timeoutMs?: number }> = [
  { name: 'Protocol rule evaluations per second', file: 'protocol-evaluations.js', env: {} },
  { name: 'Audit-write overhead per request', file: 'audit-append.js', env: { BENCH_SECONDS: '3' } },
  { name: 'Field-encryption overhead per record', file: 'field-crypto.js', env: { BENCH_ITERATIONS: '20000' } },
  { name: 'Database round trips per mutation', file: 'mutation-round-trips.js', env: { BENCH_MUTATIONS: '200' }, smoke: { BENCH_MUTATIONS: '20' } },
  { name: 'Signal messages relayed per second', file: 'messaging-relay.js', env: { BENCH_EXCHANGES: '200' }, smoke: { BENCH_EXCHANGES: '20' } },
  // Writing the 10,000-update backlog through the API takes minutes on two cores.
  { name: "Live tenant's alert latency beside another tenant's backlog", file: 'backlog-fairness.js', env: { BENCH_BACKLOG: '10000' }, timeoutMs: 1_200_000 },
];

/** What one of those scripts printed: its JSON object and its Markdown table; `failed` when it exited non-zero. */
export interface ExtraResult {
  readonly json: unknown;
  readonly markdown: string;
  readonly failed?: string;
}

/** Splits a script's stdout into its JSON object (text when it is not JSON) and its Markdown table. */
function parseOutput(stdout: string): ExtraResult {
  const lines = stdout.split('\n');
  const tableAt = lines.findIndex((line) => line.startsWith('|'));
  const jsonText = (tableAt >= 0 ? lines.slice(0, tableAt) : lines).join('\n').trim();
  let json: unknown = null;
  try {
    json = JSON.parse(jsonText);
  } catch {
    json = jsonText;
  }
  return { json, markdown: tableAt >= 0 ? lines.slice(tableAt).join('\n') : '' };
}

/**
 * Runs each companion script found compiled next to the bench (`dist/bench/<name>.js`) with
 * `postgresUrl` for those that want a scratch database; a missing or failing script is reported as
 * such instead of a number (with what it printed, and `failed`, when it printed results and then
 * exited non-zero, as a correctness check does). In the smoke profile only the scripts with smoke
 * settings run.
 */
export async function runExtras(distBench: string, postgresUrl: string, profile: 'default' | 'full' | 'smoke'): Promise<Record<string, ExtraResult | { skipped: string }>> {
  const results: Record<string, ExtraResult | { skipped: string }> = {};
  for (const script of SCRIPTS) {
    if (profile === 'smoke' && !script.smoke) continue;
    const file = join(distBench, script.file);
    if (!existsSync(file)) {
      results[script.name] = { skipped: `bench/${script.file.replace(/\.js$/, '.ts')} does not exist` };
      continue;
    }
    try {
      const { stdout } = await run(process.execPath, [file], {
        env: { ...process.env, BENCH_DATABASE_URL: postgresUrl, ...script.env, ...(profile === 'smoke' ? script.smoke : {}) },
        timeout: script.timeoutMs ?? 300_000,
        maxBuffer: 16 << 20,
      });
      results[script.name] = parseOutput(stdout);
    } catch (err) {
      const failed = `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
      const stdout = (err as { stdout?: string }).stdout ?? '';
      results[script.name] = stdout.includes('|') ? { ...parseOutput(stdout), failed } : { skipped: failed };
    }
  }
  return results;
}
