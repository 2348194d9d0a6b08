/**
 * Benchmark: protocol evaluations per second of the pure engine with the built-in library plus 50
 * custom triggers per tenant, against patients with a realistic history.
 *
 * Run (no npm script; tsx is not installed, so compile first):
 *   npx tsc -p bench/tsconfig.json && node dist/bench/protocol-evaluations.js
 * Options (environment): BENCH_TENANTS (default 5), BENCH_PATIENTS (per tenant, 20),
 * BENCH_HISTORY (records per patient, 300), BENCH_UPDATES (per tenant, 400).
 * Prints one JSON object (and a Markdown table row) on stdout.
 */
import { BUILT_IN_PROTOCOLS } from '../src/protocols/built-in/index.js';
import { validateDefinition } from '../src/protocols/definition-check.js';
import { ProtocolEngine, triggerApplies } from '../src/protocols/engine.js';
import type { EvaluationInput, ObservationFact, PatientFacts, ProtocolDefinition } from '../src/protocols/protocol.js';
import type { StatusKind } from '../src/db/entities/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 23, 12);

function intOption(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** A deterministic pseudo-random sequence (mulberry32), so runs are comparable. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ESCALATION = {
  tiers: [{ targets: [{ type: 'ROLE' as const, role: 'MIDWIFE' as const }], ackTimeoutMinutes: 30 }],
  fallback: { targets: [{ type: 'ROLE' as const, role: 'PRIMARY_CARE_PROVIDER' as const }], ackTimeoutMinutes: 60 },
  repeat: 0,
};

/** 50 custom triggers of a tenant: thresholds, windows and trends over every kind. */
function customTriggers(tenant: number): ProtocolDefinition[] {
  const shapes: { kinds: StatusKind[]; appliesWhen: string | null; condition: (i: number) => string }[] = [
    { kinds: ['VITALS'], appliesWhen: 'has(vitals.systolic)', condition: (i) => `vitals.systolic >= ${130 + i}` },
    { kinds: ['VITALS'], appliesWhen: null, condition: (i) => `avg("VITALS", "systolic", days(${1 + (i % 7)})) > ${135 + (i % 10)}.0` },
    { kinds: ['MOOD'], appliesWhen: null, condition: (i) => `mood.score <= ${1 + (i % 3)} && count("MOOD", days(7)) >= 3` },
    { kinds: ['SLEEP'], appliesWhen: null, condition: (i) => `sleep.hours < ${3 + (i % 3)}.0 || avg("SLEEP", "hours", 5) < 4.5` },
    { kinds: ['SCREENING'], appliesWhen: 'count("SCREENING:EPDS", days(30)) >= 2', condition: (i) => `delta("SCREENING:EPDS", "total", days(30)) >= ${2 + (i % 4)}` },
    { kinds: ['FEEDING'], appliesWhen: null, condition: (i) => `sum("FEEDING", "volumeMl", hours(24)) < ${300 + i * 10}.0` },
    { kinds: ['INFANT_VITALS'], appliesWhen: 'has(infantVitals.weightGrams)', condition: (i) => `infant.weightLossPercent > ${7 + (i % 4)}.0` },
  ];
  return Array.from({ length: 50 }, (_, i) => {
    const shape = shapes[i % shapes.length]!;
    return {
      name: `Tenant ${tenant} custom ${i}`,
      description: 'Benchmark trigger.',
      trigger: { type: 'ON_UPDATE', kinds: shape.kinds },
      appliesWhen: shape.appliesWhen,
      condition: shape.condition(i + tenant),
      severity: 'WARNING',
      actions: [{ type: 'RAISE_ALERT', routeTo: ['MIDWIFE'] }],
      escalation: ESCALATION,
      onIncompleteData: 'RAISE_INCOMPLETE_DATA_ALERT',
      guideline: null,
    };
  });
}

const KINDS: StatusKind[] = ['MOOD', 'SLEEP', 'VITALS', 'SYMPTOMS', 'SCREENING', 'FEEDING', 'INFANT_VITALS'];

function observationAt(next: () => number, id: string, at: number, infantId: string): ObservationFact {
  const kind = KINDS[Math.floor(next() * KINDS.length)]!;
  const data: Record<string, unknown> = {
    MOOD: { score: 1 + Math.floor(next() * 5) },
    SLEEP: { hours: Math.round(next() * 9 * 10) / 10 },
    VITALS: { systolic: 100 + Math.floor(next() * 70), diastolic: 60 + Math.floor(next() * 50) },
    SYMPTOMS: { symptoms: next() < 0.5 ? ['PERSISTENT_HEADACHE'] : ['OVERWHELMING_TIREDNESS'] },
    SCREENING: (() => {
      const items = Array.from({ length: 10 }, () => Math.floor(next() * 3));
      return { instrument: 'EPDS', items, total: items.reduce((a, b) => a + b, 0), maxTotal: 30 };
    })(),
    FEEDING: { volumeMl: Math.floor(next() * 120), wetDiapers: Math.floor(next() * 3), dirtyDiapers: Math.floor(next() * 2) },
    INFANT_VITALS: { weightGrams: 2700 + Math.floor(next() * 600), temperatureC: 36.5 + Math.round(next() * 20) / 10 },
  }[kind] as Record<string, unknown>;
  const infantKind = kind === 'FEEDING' || kind === 'INFANT_VITALS';
  return { id, kind, recordedAt: at, infantId: infantKind ? infantId : null, data };
}

function main(): void {
  const tenants = intOption('BENCH_TENANTS', 5);
  const patientsPerTenant = intOption('BENCH_PATIENTS', 20);
  const historyLength = intOption('BENCH_HISTORY', 300);
  const updatesPerTenant = intOption('BENCH_UPDATES', 400);
  const next = random(42);
  const engine = new ProtocolEngine();

  const workload: { protocols: ProtocolDefinition[]; inputs: EvaluationInput[] }[] = [];
  for (let t = 0; t < tenants; t++) {
    const protocols = [...BUILT_IN_PROTOCOLS.map((b) => b.build({})), ...customTriggers(t)];
    for (const p of protocols) {
      const problems = validateDefinition(p);
      if (problems.length > 0) throw new Error(`Invalid benchmark protocol ${p.name}: ${JSON.stringify(problems)}`);
    }
    const patients = Array.from({ length: patientsPerTenant }, (_, p) => {
      const infantId = `infant-${t}-${p}`;
      const patient: PatientFacts = { patientId: `patient-${t}-${p}`, deliveryDate: '2026-10-20', infants: [{ id: infantId, birthDate: '2026-10-20', birthWeightGrams: 3200 }] };
      const history = Array.from({ length: historyLength }, (_, i) => observationAt(next, `h-${t}-${p}-${i}`, NOW - (historyLength - i) * (30 * DAY / historyLength), infantId));
      return { patient, history, infantId };
    });
    const inputs: EvaluationInput[] = [];
    for (let u = 0; u < updatesPerTenant; u++) {
      const subject = patients[u % patients.length]!;
      inputs.push({ now: NOW, patient: subject.patient, update: observationAt(next, `u-${t}-${u}`, NOW, subject.infantId), history: subject.history });
    }
    const scheduled: EvaluationInput[] = patients.map((s) => ({ now: NOW, patient: s.patient, update: null, history: s.history }));
    workload.push({ protocols, inputs: [...inputs, ...scheduled] });
  }

  const run = (): { evaluations: number; applicable: number; perInputMs: number[] } => {
    let evaluations = 0;
    let applicable = 0;
    const perInputMs: number[] = [];
    for (const { protocols, inputs } of workload) {
      for (const input of inputs) {
        const started = performance.now();
        for (const protocol of protocols) {
          if (triggerApplies(protocol, input)) applicable++;
          engine.evaluate(protocol, input);
          evaluations++;
        }
        perInputMs.push(performance.now() - started);
      }
    }
    return { evaluations, applicable, perInputMs };
  };

  run(); // warm-up: compiles every expression once and lets the JIT settle
  const started = performance.now();
  const { evaluations, applicable, perInputMs } = run();
  const seconds = (performance.now() - started) / 1000;
  perInputMs.sort((a, b) => a - b);
  const quantile = (q: number): number => Number((perInputMs[Math.min(perInputMs.length - 1, Math.floor(q * perInputMs.length))] ?? 0).toFixed(3));
  const result = {
    benchmark: 'protocol-evaluations',
    tenants,
    protocolsPerTenant: BUILT_IN_PROTOCOLS.length + 50,
    patientsPerTenant,
    historyRecordsPerPatient: historyLength,
    evaluations,
    applicableEvaluations: applicable,
    seconds: Number(seconds.toFixed(3)),
    evaluationsPerSecond: Math.round(evaluations / seconds),
    applicableEvaluationsPerSecond: Math.round(applicable / seconds),
    perUpdateAllProtocolsMs: { p50: quantile(0.5), p99: quantile(0.99), max: quantile(1) },
  };
  console.log(JSON.stringify(result, null, 2));
  console.log('| evaluations/s | applicable evaluations/s | per update p50 / p99 (ms) |');
  console.log('| --- | --- | --- |');
  console.log(`| ${result.evaluationsPerSecond} | ${result.applicableEvaluationsPerSecond} | ${result.perUpdateAllProtocolsMs.p50} / ${result.perUpdateAllProtocolsMs.p99} |`);
}

main();
