import type { RoundKnobs } from './scenario.js';
import type { EntitlementShape } from './seed.js';
import { parseSystems, SYSTEM_IDS, type SystemId } from './systems.js';

/** One scenario of the matrix: who subscribes, how events are entitled, how many instances. */
export interface ScenarioSpec {
  readonly shape: EntitlementShape;
  readonly subscribers: number;
  readonly topics: number;
  readonly instances: number;
  /** Run the slow-consumer measurement in this scenario. */
  readonly slowConsumer: boolean;
}

/** A whole bench run. */
export interface BenchProfile {
  readonly name: 'default' | 'full' | 'smoke';
  readonly rounds: number;
  readonly systems: readonly SystemId[];
  readonly scenarios: readonly ScenarioSpec[];
  readonly knobs: RoundKnobs;
  readonly floors: boolean;
  readonly extras: boolean;
  readonly floorSockets: number;
}

const scenario = (shape: EntitlementShape, subscribers: number, instances = 1, topics = 1, slowConsumer = false): ScenarioSpec => ({ shape, subscribers, topics, instances, slowConsumer });

/**
 * The profiles: `default` (`npm run bench`, a representative subset that fits in about 15 minutes
 * on 2 cores), `full` (`-- --full`, the whole matrix of issue 8) and `smoke` (`-- --smoke`, seconds
 * long, to prove the harness end to end). Command-line options override single knobs.
 */
export function profileFromArgs(args: readonly string[]): BenchProfile {
  const name = args.includes('--full') ? 'full' : args.includes('--smoke') ? 'smoke' : 'default';
  let profile: BenchProfile;
  if (name === 'full') {
    const scenarios: ScenarioSpec[] = [];
    for (const n of [1000, 10_000]) {
      for (const instances of [1, 2]) {
        scenarios.push(scenario('patient', n, instances), scenario('team', n, instances), scenario('team', n, instances, 5), scenario('all', n, instances, 1, instances === 1));
      }
    }
    profile = {
      name, rounds: 3, systems: SYSTEM_IDS, scenarios, floors: true, extras: true, floorSockets: 10_000,
      knobs: { rates: [10, 100, 500, 1000], stepMs: 10_000, drainMs: 5000, recoveryMs: 30_000, warmupMutations: 200, churnMs: 5000, slowConsumerMs: 60_000, slowConsumerRate: 100, padding: 120 },
    };
  } else if (name === 'smoke') {
    profile = {
      name, rounds: 2, systems: SYSTEM_IDS, floors: true, extras: true, floorSockets: 50,
      scenarios: [scenario('patient', 50), scenario('team', 50, 2), scenario('all', 50, 1, 1, true)],
      knobs: { rates: [10, 50], stepMs: 1000, drainMs: 2000, recoveryMs: 5000, warmupMutations: 10, churnMs: 500, slowConsumerMs: 1000, slowConsumerRate: 10, padding: 120 },
    };
  } else {
    profile = {
      name, rounds: 3, systems: SYSTEM_IDS, floors: true, extras: true, floorSockets: 1000,
      scenarios: [scenario('patient', 1000), scenario('team', 1000), scenario('all', 1000, 1, 1, true), scenario('team', 1000, 2)],
      knobs: { rates: [10, 100, 500], stepMs: 2500, drainMs: 2000, recoveryMs: 10_000, warmupMutations: 50, churnMs: 1500, slowConsumerMs: 5000, slowConsumerRate: 50, padding: 120 },
    };
  }
  return applyOverrides(profile, args);
}

function option(args: readonly string[], flag: string): string | null {
  const at = args.indexOf(flag);
  return at >= 0 && at + 1 < args.length ? args[at + 1]! : null;
}

/**
 * `--rounds N`, `--subscribers N`, `--rates 10,100`, `--step-seconds S`, `--systems A,B2`,
 * `--shapes patient,team,all`, `--instances 1`, `--steps-only` (no slow-consumer or churn run),
 * `--no-floors`, `--extras`, `--no-extras`.
 */
function applyOverrides(profile: BenchProfile, args: readonly string[]): BenchProfile {
  const rounds = Number(option(args, '--rounds') ?? profile.rounds);
  const subscribers = option(args, '--subscribers');
  const rates = option(args, '--rates');
  const step = option(args, '--step-seconds');
  const systems = option(args, '--systems');
  const shapes = option(args, '--shapes')?.split(',') ?? null;
  const instances = option(args, '--instances');
  const scenarios = profile.scenarios
    .filter((s) => shapes === null || shapes.includes(s.shape))
    .filter((s) => instances === null || s.instances === Number(instances))
    .map((s) => (subscribers ? { ...s, subscribers: Number(subscribers) } : s));
  return {
    ...profile,
    rounds: Number.isInteger(rounds) && rounds > 0 ? rounds : profile.rounds,
    systems: systems ? parseSystems(systems) : profile.systems,
    scenarios,
    floorSockets: subscribers ? Number(subscribers) : profile.floorSockets,
    floors: profile.floors && !args.includes('--no-floors'),
    extras: (profile.extras || args.includes('--extras')) && !args.includes('--no-extras'),
    knobs: {
      ...profile.knobs,
      rates: rates ? rates.split(',').map(Number).filter((r) => r > 0) : profile.knobs.rates,
      stepMs: step ? Number(step) * 1000 : profile.knobs.stepMs,
      ...(args.includes('--steps-only') ? { slowConsumerMs: 0, churnMs: 0 } : {}),
    },
  };
}
