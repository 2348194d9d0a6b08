/**
 * Micro-benchmark: the CPU cost of field-level encryption at rest per encrypted value (AES-256-GCM
 * seal and open with the record's place as associated data) and per blind index (HMAC-SHA256), for
 * the value sizes Cradle stores: a name, a free-text note, a screening's JSON document.
 *
 * Run (no npm script; tsx is not installed, so compile the pure modules first):
 *   npx tsc bench/field-crypto.ts --ignoreConfig --rootDir . --outDir dist/bench-field --module nodenext --moduleResolution nodenext --target es2023 --types node --skipLibCheck
 *   node dist/bench-field/bench/field-crypto.js
 * Option (environment): BENCH_ITERATIONS (per case, default 50000).
 * Prints one JSON object and a Markdown table on stdout.
 */
import { createHash, randomBytes } from 'node:crypto';
import { blindIndex, blindIndexSubkey } from '../src/crypto/blind-index.js';
import { openValue, sealValue, type DataKey, type FieldPlace } from '../src/crypto/field-cipher.js';

const iterations = Number(process.env['BENCH_ITERATIONS']) > 0 ? Number(process.env['BENCH_ITERATIONS']) : 50_000;
const tenantId = '3f0c6a9e-2b1d-4c55-9a7e-0d1f2e3a4b5c';
const key: DataKey = { id: '0b7e4f2a-9c3d-4e1f-8a2b-6c5d4e3f2a1b', tenantId, key: randomBytes(32) };
const place: FieldPlace = { tenantId, table: 'patient', recordId: 'a1b2c3d4-0000-4000-8000-000000000001', column: 'given_name' };
const { tenantId: _tenant, ...where } = place;

const screening = JSON.stringify({
  instrument: 'EPDS',
  answers: [1, 2, 0, 3, 1, 2, 1, 0, 2, 0],
  items: [1, 2, 0, 3, 1, 2, 1, 0, 2, 0],
  total: 12,
  maxTotal: 30,
  band: 'POSSIBLE_DEPRESSION',
  selfHarmItemPositive: false,
  note: 'x'.repeat(1500),
});
const cases: Array<[string, string]> = [
  ['name (20 B)', 'Zephyrine Quillfeath'],
  ['note (500 B)', 'n'.repeat(500)],
  [`screening JSON (${screening.length} B)`, screening],
];

/** Nanoseconds per call of `fn`, after a warm-up. */
function time(fn: () => unknown): number {
  for (let i = 0; i < Math.min(2000, iterations); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

const results: Array<{ case: string; sealUs: number; openUs: number; storedBytes: number }> = [];
for (const [name, value] of cases) {
  const sealed = sealValue(value, key, place);
  results.push({
    case: name,
    sealUs: time(() => sealValue(value, key, place)) / 1000,
    openUs: time(() => openValue(sealed, () => key, where)) / 1000,
    storedBytes: sealed.length,
  });
}
// A yardstick for a loaded machine: one SHA-256 of a short string (about 1 µs on an idle core).
const baselineSha256Us = time(() => createHash('sha256').update('cradle').digest()) / 1000;
const subkey = blindIndexSubkey(randomBytes(32), 'email', null);
const blindIndexUs = time(() => blindIndex(subkey, 'email', 'Mia.Tanaka@Example.org')) / 1000;

process.stdout.write(`${JSON.stringify({ iterations, node: process.version, results, blindIndexUs, baselineSha256Us })}\n\n`);
process.stdout.write('| value | seal (µs) | open (µs) | stored bytes |\n|---|---|---|---|\n');
for (const r of results) process.stdout.write(`| ${r.case} | ${r.sealUs.toFixed(2)} | ${r.openUs.toFixed(2)} | ${r.storedBytes} |\n`);
process.stdout.write(`| e-mail blind index (HMAC-SHA256) | ${blindIndexUs.toFixed(2)} | – | 64 |\n`);
process.stdout.write(`| baseline: one SHA-256 of 6 bytes | ${baselineSha256Us.toFixed(2)} | – | – |\n`);
