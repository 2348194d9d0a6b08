import { Environment, EvaluationError } from '@marcbachmann/cel-js';
import { Duration } from '@marcbachmann/cel-js/evaluator';
import { FACT_OBJECTS, SYMPTOMS_VARIABLE, type FactField } from './condition-facts.js';
import { EvaluationMeter } from './evaluation-budget.js';
import { DAY_MS, parseSeries, type PatientTimeline, type Series, type SeriesValue } from './history-window.js';

/**
 * The CEL environment of protocol conditions: the declared, typed facts of `condition-facts.ts` and
 * the window functions over the patient's history. Every name and type is listed in
 * `docs/protocols.md` ("Condition language").
 *
 * Window functions read the timeline of the evaluation under way through {@link ConditionEnvironment.run};
 * cel-js evaluates synchronously, so one environment serves one evaluation at a time.
 *
 * @module
 */

/** Error code of a window function that found no value: the engine reports it as a missing fact. */
export const MISSING_FACT_CODE = 'missing_fact';

/**
 * cel-js evaluation error codes that mean "a fact this expression reads is absent": an absent
 * field (`no_such_key`), an unanswered list item (`index_out_of_bounds`), an absent variable
 * (`unknown_variable`, e.g. `symptoms` of a VITALS update) and an empty window.
 */
export const MISSING_FACT_ERROR_CODES: ReadonlySet<string> = new Set([
  'no_such_key',
  'index_out_of_bounds',
  'unknown_variable',
  MISSING_FACT_CODE,
]);

/** One window or helper function, for registration, cost accounting and documentation. */
export interface ConditionFunction {
  readonly name: string;
  /** CEL signatures, e.g. `max(string, string, google.protobuf.Duration): double`. */
  readonly signatures: readonly string[];
  readonly description: string;
  /** Whether it scans the history (counts against the window-call limit of the cost check). */
  readonly readsHistory: boolean;
}

const DURATION = 'google.protobuf.Duration';

/** Every function the condition language adds to standard CEL. */
export const CONDITION_FUNCTIONS: readonly ConditionFunction[] = [
  { name: 'count', signatures: [`count(string, ${DURATION}): int`], readsHistory: true,
    description: 'Records of the series in the window (0 when none; never missing).' },
  { name: 'min', signatures: [`min(string, string, ${DURATION}): double`, 'min(string, string, int): double'], readsHistory: true,
    description: 'Smallest value of the field in the window (a duration back from now, or the last N values).' },
  { name: 'max', signatures: [`max(string, string, ${DURATION}): double`, 'max(string, string, int): double'], readsHistory: true,
    description: 'Largest value of the field in the window.' },
  { name: 'avg', signatures: [`avg(string, string, ${DURATION}): double`, 'avg(string, string, int): double'], readsHistory: true,
    description: 'Mean of the field in the window.' },
  { name: 'sum', signatures: [`sum(string, string, ${DURATION}): double`, 'sum(string, string, int): double'], readsHistory: true,
    description: 'Sum of the field in the window (e.g. wet diapers per 24 h).' },
  { name: 'latest', signatures: ['latest(string, string): double'], readsHistory: true,
    description: 'Most recent value of the field (the update included).' },
  { name: 'previous', signatures: ['previous(string, string): double'], readsHistory: true,
    description: 'The value before the most recent one.' },
  { name: 'delta', signatures: [`delta(string, string, ${DURATION}): double`, 'delta(string, string, int): double'], readsHistory: true,
    description: 'Most recent value minus the oldest value in the window; needs two values.' },
  { name: 'daysSinceLast', signatures: ['daysSinceLast(string): double'], readsHistory: true,
    description: 'Days (fractional) since the most recent record of the series.' },
  { name: 'days', signatures: [`days(int): ${DURATION}`], readsHistory: false, description: 'A duration of N days.' },
  { name: 'hours', signatures: [`hours(int): ${DURATION}`], readsHistory: false, description: 'A duration of N hours.' },
];

/**
 * Upper bounds on the sizes of the values facts hold at run time, for the static cost model
 * (`condition-size.ts`). Every string fact is an enum name of at most 32 characters and every list
 * fact is short (at most 10 screening items, 13 warning signs); the bounds leave room. A fact over
 * its bound is still caught by the run-time budget.
 */
export const SIZE_BOUNDS = Object.freeze({
  /** Characters of a string fact. */
  factString: 64,
  /** Elements of a list fact (`screening.items`, `symptoms`). */
  factList: 64,
  /** Characters of a number or bool written as text (`string(x)`, `join` of non-strings). */
  scalarText: 32,
});

/** What the window functions of one evaluation read, and where they report the records they used. */
export interface WindowScope {
  readonly timeline: PatientTimeline;
  readonly useRecord: (id: string) => void;
  /** Work units the evaluation may spend (see `evaluation-budget.ts`). */
  readonly budget: number;
}

function missing(message: string): EvaluationError {
  return new EvaluationError({ code: MISSING_FACT_CODE, message });
}

function celType(field: FactField): string {
  return field.type;
}

/**
 * Builds the cel-js environment (variables, functions, parser limits) and runs evaluations with a
 * {@link WindowScope}. Building is expensive: build one per engine, not per evaluation.
 */
export class ConditionEnvironment {
  /** The cel-js environment; compile with `env.parse(expression)` then `.check()`. */
  readonly env: Environment;
  /** Meters the evaluations run through {@link run}; compiled expressions are wired to it. */
  readonly meter = new EvaluationMeter();
  private scope: WindowScope | null = null;

  constructor(limits: { readonly maxAstNodes: number; readonly maxDepth: number; readonly maxListElements: number }) {
    const env = new Environment({
      limits: { ...limits, maxMapEntries: limits.maxListElements, maxCallArguments: 8 },
    });
    for (const [name, fields] of Object.entries(FACT_OBJECTS)) {
      const schema: Record<string, string> = {};
      for (const [key, field] of Object.entries(fields as Record<string, FactField>)) schema[key] = celType(field);
      env.registerVariable({ name, schema });
    }
    env.registerVariable(SYMPTOMS_VARIABLE.name, SYMPTOMS_VARIABLE.type);
    this.registerWindows(env);
    this.env = env;
  }

  /**
   * Runs `evaluate` with the window functions reading `scope` and the meter set to its budget;
   * `evaluate` receives whether the budget was exceeded, to ask after cel-js returns or throws.
   * Not re-entrant (evaluation is synchronous).
   */
  run<T>(scope: WindowScope, evaluate: (exceeded: () => boolean) => T): T {
    const outer = this.scope;
    const outerMeter = this.meter.start(scope.budget);
    this.scope = scope;
    try {
      return evaluate(() => this.meter.exceeded);
    } finally {
      this.scope = outer;
      this.meter.restore(outerMeter);
    }
  }

  private current(): WindowScope {
    if (!this.scope) throw new EvaluationError({ code: 'no_history', message: 'History functions need an evaluation scope.' });
    return this.scope;
  }

  private series(name: string): Series {
    const series = parseSeries(name);
    if (!series) throw new EvaluationError({ code: 'unknown_series', message: `Unknown series '${name}'.` });
    return series;
  }

  /** Values of a field in a duration window (recorded at or after now − duration). */
  private inDuration(seriesName: string, field: string, window: Duration): SeriesValue[] {
    const ms = window.valueOf();
    if (!(ms > 0)) throw new EvaluationError({ code: 'invalid_window', message: 'A window must be longer than zero.' });
    const scope = this.current();
    return scope.timeline.valuesOf(this.series(seriesName), field, scope.timeline.now - ms);
  }

  /** The last `n` values of a field. */
  private lastN(seriesName: string, field: string, n: bigint): SeriesValue[] {
    if (n < 1n) throw new EvaluationError({ code: 'invalid_window', message: 'A window must hold at least one record.' });
    return this.current().timeline.valuesOf(this.series(seriesName), field).slice(-Number(n > 10_000n ? 10_000n : n));
  }

  /** Reports the values used as evidence and refuses an empty window as a missing fact. */
  private used(values: SeriesValue[], least = 1): SeriesValue[] {
    if (values.length < least) throw missing(`Needs at least ${least} value(s) in the window.`);
    const { useRecord } = this.current();
    for (const v of values) useRecord(v.id);
    return values;
  }

  private registerWindows(env: Environment): void {
    const aggregates: Record<string, (values: number[]) => number> = {
      min: (v) => Math.min(...v),
      max: (v) => Math.max(...v),
      avg: (v) => v.reduce((a, b) => a + b, 0) / v.length,
      sum: (v) => v.reduce((a, b) => a + b, 0),
    };
    for (const [name, reduce] of Object.entries(aggregates)) {
      env.registerFunction(`${name}(string, string, ${DURATION}): double`, (s: string, f: string, w: Duration) =>
        reduce(this.used(this.inDuration(s, f, w)).map((v) => v.value)),
      );
      env.registerFunction(`${name}(string, string, int): double`, (s: string, f: string, n: bigint) =>
        reduce(this.used(this.lastN(s, f, n)).map((v) => v.value)),
      );
    }
    env.registerFunction(`count(string, ${DURATION}): int`, (s: string, w: Duration) => {
      const ms = w.valueOf();
      if (!(ms > 0)) throw new EvaluationError({ code: 'invalid_window', message: 'A window must be longer than zero.' });
      const scope = this.current();
      const records = scope.timeline.recordsOf(this.series(s), scope.timeline.now - ms);
      for (const r of records) scope.useRecord(r.id);
      return BigInt(records.length);
    });
    env.registerFunction('latest(string, string): double', (s: string, f: string) => {
      const values = this.current().timeline.valuesOf(this.series(s), f);
      return this.used(values.slice(-1))[0]!.value;
    });
    env.registerFunction('previous(string, string): double', (s: string, f: string) => {
      const values = this.current().timeline.valuesOf(this.series(s), f);
      return this.used(values.slice(-2), 2)[0]!.value;
    });
    const delta = (values: SeriesValue[]): number => {
      const used = this.used(values, 2);
      return used[used.length - 1]!.value - used[0]!.value;
    };
    env.registerFunction(`delta(string, string, ${DURATION}): double`, (s: string, f: string, w: Duration) => delta(this.inDuration(s, f, w)));
    env.registerFunction('delta(string, string, int): double', (s: string, f: string, n: bigint) => delta(this.lastN(s, f, n)));
    env.registerFunction('daysSinceLast(string): double', (s: string) => {
      const scope = this.current();
      const last = scope.timeline.recordsOf(this.series(s)).at(-1);
      if (!last) throw missing('No record of the series.');
      scope.useRecord(last.id);
      return (scope.timeline.now - last.recordedAt) / DAY_MS;
    });
    env.registerFunction(`days(int): ${DURATION}`, (n: bigint) => Duration.fromMilliseconds(Number(n) * DAY_MS));
    env.registerFunction(`hours(int): ${DURATION}`, (n: bigint) => Duration.fromMilliseconds(Number(n) * 3_600_000));
  }
}
