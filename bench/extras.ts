import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The other benchmarks of issue 8, owned by their features' engineers; run as they are, once. */
const SCRIPTS: ReadonlyArray<{ name: string; file: string; env: Record<string, string> }> = [
  { name: 'Protocol rule evaluations per second', file: 'protocol-evaluations.js', env: {} },
  { name: 'Audit-write overhead per request', file: 'audit-append.js', env: { BENCH_SECONDS: '3' } },
  { name: 'Field-encryption overhead per record', file: 'field-crypto.js', env: { BENCH_ITERATIONS: '20000' } },
];

/** What one of those scripts printed: its JSON object and its Markdown table. */
export interface ExtraResult {
  readonly json: unknown;
  readonly markdown: string;
}

/**
 * Runs each companion script found compiled next to the bench (`dist/bench/<name>.js`) with
 * `postgresUrl` for those that want a scratch database; a missing or failing script is reported as
 * such instead of a number.
 */
export async function runExtras(distBench: string, postgresUrl: string): Promise<Record<string, ExtraResult | { skipped: string }>> {
  const results: Record<string, ExtraResult | { skipped: string }> = {};
  for (const script of SCRIPTS) {
    const file = join(distBench, script.file);
    if (!existsSync(file)) {
      results[script.name] = { skipped: `bench/${script.file.replace(/\.js$/, '.ts')} does not exist` };
      continue;
    }
    try {
      const { stdout } = await run(process.execPath, [file], {
        env: { ...process.env, BENCH_DATABASE_URL: postgresUrl, ...script.env },
        timeout: 300_000,
        maxBuffer: 16 << 20,
      });
      const lines = stdout.split('\n');
      const tableAt = lines.findIndex((line) => line.startsWith('|'));
      const jsonText = (tableAt >= 0 ? lines.slice(0, tableAt) : lines).join('\n').trim();
      let json: unknown = null;
      try {
        json = JSON.parse(jsonText);
      } catch {
        json = jsonText;
      }
      results[script.name] = { json, markdown: tableAt >= 0 ? lines.slice(tableAt).join('\n') : '' };
    } catch (err) {
      results[script.name] = { skipped: `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
    }
  }
  return results;
}
