import { Kind, parse, type OperationDefinitionNode } from 'graphql';

/**
 * The README's persona walks as data. A step is a fenced `graphql` block preceded by a marker
 * comment (only blank lines between):
 *
 * ```text
 * <!-- walk: patient; step: log-mood; as: patient; saves: moodCursor=logMood.cursor -->
 * ```
 *
 * - `walk`, `step`: names; `walk/step` is unique and is how tests refer to a step.
 * - `as`: whose token the step is sent with. A `login` mutation is sent without one, and its
 *   `login.accessToken` becomes that persona's token for the steps after it.
 * - `saves` (optional): `name=path` pairs, comma-separated; each path is read from the step's
 *   `data` (dots; list indexes as numbers) and kept under `name`. An operation's `$variables` are
 *   filled from the names saved so far.
 * - `until` (subscriptions only, optional): `path=value` pairs; the step waits for the first
 *   event where every path has that value (`*` in a path matches any list element; a value
 *   `$name` is a saved value). Without it, the first event.
 * - `error` (optional): the `extensions.code` the step must answer with instead of data.
 *
 * @module
 */

/** One step of a walk, as written in the README. */
export interface WalkStep {
  readonly walk: string;
  readonly step: string;
  /** `walk/step`. */
  readonly id: string;
  readonly as: string;
  readonly query: string;
  readonly operation: 'query' | 'mutation' | 'subscription';
  /** The operation's root field names, in order. */
  readonly rootFields: readonly string[];
  /** The `$variables` the operation declares. */
  readonly variables: readonly string[];
  readonly saves: ReadonlyArray<{ readonly name: string; readonly path: string }>;
  readonly until: ReadonlyArray<{ readonly path: string; readonly value: string }>;
  readonly error: string | null;
  /** 1-based line of the marker. */
  readonly line: number;
}

const KEYS = new Set(['walk', 'step', 'as', 'saves', 'until', 'error']);

function pairs(text: string, where: string): Array<{ key: string; value: string }> {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq <= 0 || eq === part.length - 1) throw new Error(`${where}: "${part}" is not name=value`);
      return { key: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() };
    });
}

/** Every walk step of a Markdown text, in order; throws on a malformed marker or block. */
export function parseWalks(markdown: string): WalkStep[] {
  const lines = markdown.split('\n');
  const steps: WalkStep[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < lines.length; i += 1) {
    const marker = /^\s*<!--\s*walk:(.*?)-->\s*$/.exec(lines[i]!);
    if (!marker) continue;
    const where = `line ${i + 1}`;
    const fields = new Map<string, string>([['walk', '']]);
    const [first, ...rest] = `walk:${marker[1]}`.split(';');
    for (const field of [first!, ...rest]) {
      const colon = field.indexOf(':');
      const key = field.slice(0, colon).trim();
      if (colon <= 0 || !KEYS.has(key)) throw new Error(`${where}: unknown walk marker field "${field.trim()}"`);
      fields.set(key, field.slice(colon + 1).trim());
    }
    for (const required of ['walk', 'step', 'as']) if (!fields.get(required)) throw new Error(`${where}: the walk marker needs "${required}"`);
    let open = i + 1;
    while (open < lines.length && lines[open]!.trim() === '') open += 1;
    if (!/^```graphql\s*$/.test(lines[open] ?? '')) throw new Error(`${where}: a walk marker must be followed by a \`\`\`graphql block`);
    let close = open + 1;
    while (close < lines.length && !/^```\s*$/.test(lines[close]!)) close += 1;
    if (close >= lines.length) throw new Error(`${where}: the graphql block is never closed`);
    const query = lines.slice(open + 1, close).join('\n');
    const operations = parse(query).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (operations.length !== 1) throw new Error(`${where}: a walk step holds exactly one operation`);
    const operation = operations[0]!;
    const id = `${fields.get('walk')}/${fields.get('step')}`;
    if (ids.has(id)) throw new Error(`${where}: the walk step ${id} appears twice`);
    ids.add(id);
    const until = pairs(fields.get('until') ?? '', where).map(({ key, value }) => ({ path: key, value }));
    if (until.length > 0 && operation.operation !== 'subscription') throw new Error(`${where}: "until" is for subscriptions`);
    steps.push({
      walk: fields.get('walk')!,
      step: fields.get('step')!,
      id,
      as: fields.get('as')!,
      query,
      operation: operation.operation,
      rootFields: operation.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : [])),
      variables: (operation.variableDefinitions ?? []).map((v) => v.variable.name.value),
      saves: pairs(fields.get('saves') ?? '', where).map(({ key, value }) => ({ name: key, path: value })),
      until,
      error: fields.get('error') || null,
      line: i + 1,
    });
    i = close;
  }
  return steps;
}

/** Every value at a dotted path (`a.0.b`, `a.*.b` for any element of a list). */
export function valuesAt(data: unknown, path: string): unknown[] {
  let current: unknown[] = [data];
  for (const part of path.split('.')) {
    current = current.flatMap((value) => {
      if (value === null || typeof value !== 'object') return [];
      if (part === '*') return Array.isArray(value) ? value : [];
      const next = (value as Record<string, unknown>)[part];
      return next === undefined ? [] : [next];
    });
  }
  return current;
}

/** The one value at a path; throws when there is none (a walk that saves nothing is broken). */
export function valueAt(data: unknown, path: string): unknown {
  const [value] = valuesAt(data, path);
  if (value === undefined || value === null) throw new Error(`nothing at ${path} in ${JSON.stringify(data)}`);
  return value;
}

/** Whether an event meets every `until` condition of a step, `$name` values read from `saved`. */
export function meets(event: unknown, until: WalkStep['until'], saved: ReadonlyMap<string, unknown>): boolean {
  return until.every(({ path, value }) => {
    const wanted = value.startsWith('$') ? saved.get(value.slice(1)) : value;
    return valuesAt(event, path).some((found) => String(found) === String(wanted));
  });
}

/** The variables a step's operation declares, from the values saved so far; throws on one never saved. */
export function variablesFor(step: WalkStep, saved: ReadonlyMap<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    step.variables.map((name) => {
      if (!saved.has(name)) throw new Error(`${step.id} needs $${name}, which no earlier step saves`);
      return [name, saved.get(name)];
    }),
  );
}
