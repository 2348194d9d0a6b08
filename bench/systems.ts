/**
 * The systems `npm run bench` compares, in one list that the driver, the profiles and the report all
 * read: what each is called, the entry the driver starts for it and the environment that selects
 * its variant. Adding a system here adds it to every round and every table.
 */

/** A compared system: A is Cradle, B1 to B3 are baselines. */
export type SystemId = 'A' | 'B1' | 'B2' | 'B3';

/** One compared system. */
export interface BenchSystem {
  readonly id: SystemId;
  /** One line for the report's legend. */
  readonly label: string;
  /** The compiled entry the driver forks, relative to `dist/bench`. */
  readonly entry: string;
  /** Environment added to the server's (selects a variant of a shared entry). */
  readonly env: Readonly<Record<string, string>>;
}

/** Every system, in the order rounds alternate and tables list them. */
export const SYSTEMS: readonly BenchSystem[] = [
  { id: 'A', label: 'Cradle', entry: 'servers/cradle-entry.js', env: {} },
  {
    id: 'B1',
    label: 'Apollo + graphql-ws + RedisPubSub + MikroORM, one topic + withFilter',
    entry: 'baselines/textbook-server.js',
    env: { BENCH_TOPIC_MODE: 'global' },
  },
  { id: 'B2', label: 'the same, one topic per patient', entry: 'baselines/textbook-server.js', env: { BENCH_TOPIC_MODE: 'patient' } },
  {
    id: 'B3',
    label: 'expert: Apollo + graphql-ws, node-postgres prepared statements, one Redis channel per patient, token checked in memory + one care-team lookup',
    entry: 'baselines/expert-server.js',
    env: {},
  },
];

/** Every system id, in {@link SYSTEMS} order. */
export const SYSTEM_IDS: readonly SystemId[] = SYSTEMS.map((s) => s.id);

/** The system with this id. */
export function systemById(id: SystemId): BenchSystem {
  const system = SYSTEMS.find((s) => s.id === id);
  if (!system) throw new Error(`No bench system ${id}.`);
  return system;
}

/**
 * Reads a `--systems` list (`A,B3`): the named systems in {@link SYSTEMS} order, without repeats.
 * Throws on an unknown name, listing the known ones, rather than silently running fewer systems.
 */
export function parseSystems(list: string): SystemId[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(SYSTEM_IDS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`--systems: unknown system ${unknown.join(', ')} (known: ${SYSTEM_IDS.join(', ')}).`);
  if (names.length === 0) throw new Error(`--systems: name at least one of ${SYSTEM_IDS.join(', ')}.`);
  return SYSTEM_IDS.filter((id) => names.includes(id));
}
