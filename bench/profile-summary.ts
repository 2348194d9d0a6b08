/**
 * Summarises a V8 CPU profile written by `npm run bench -- --cpu-prof`: where a server's CPU went,
 * by package (self time) and by Cradle function (inclusive time), idle time excluded.
 *
 *   node dist/bench/profile-summary.js <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a frame's code lives: a package under node_modules, a file of Cradle, or a Node internal. */
function origin(url: string): string {
  if (!url) return '(native: GC, compiler, I/O)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 13).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const src = url.indexOf('/dist/');
  return src >= 0 ? url.slice(src + 1) : url.split('/').slice(0, 3).join('/');
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node dist/bench/profile-summary.js <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(topArg) > 0 ? Number(topArg) : 25;
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const selfByOrigin = new Map<string, number>();
const inclusive = new Map<string, number>();
let busy = 0;
profile.samples.forEach((sample, i) => {
  const micros = profile.timeDeltas[i + 1] ?? 0;
  const frame = byId.get(sample)!.callFrame;
  if (frame.functionName === '(idle)') return;
  busy += micros;
  const from = origin(frame.url);
  selfByOrigin.set(from, (selfByOrigin.get(from) ?? 0) + micros);
  const seen = new Set<string>();
  for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
    const f = byId.get(id)!.callFrame;
    if (!f.url.includes('/dist/src/')) continue;
    const key = `${f.functionName || '(anonymous)'} ${origin(f.url)}:${f.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + micros);
  }
});
const ms = (micros: number) => `${(micros / 1000).toFixed(0).padStart(8)} ms ${((100 * micros) / Math.max(1, busy)).toFixed(1).padStart(5)} %`;
const lines = [`busy (not idle): ${(busy / 1000).toFixed(0)} ms`, '', 'self time by package or file:'];
for (const [key, micros] of [...selfByOrigin].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${ms(micros)}  ${key}`);
lines.push('', "inclusive time of Cradle's functions (dist/src):");
for (const [key, micros] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${ms(micros)}  ${key}`);
process.stdout.write(`${lines.join('\n')}\n`);
