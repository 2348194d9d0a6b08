import { EvaluationError } from '@marcbachmann/cel-js';
import type { ClinicalRole } from '../db/entities/index.js';
import { MISSING_FACT_ERROR_CODES } from './cel-environment.js';
import { buildConditionContext, type ConditionContext } from './condition-facts.js';
import { CONDITION_LIMITS } from './condition-cost.js';
import { BUDGET_EXCEEDED_CODE } from './evaluation-budget.js';
import type { CompiledCondition, ConditionCompiler, LogicNode } from './condition-compiler.js';
import { defaultCompiler } from './default-compiler.js';
import { validateDefinition } from './definition-check.js';
import { PatientTimeline } from './history-window.js';
import type { DefinitionProblem, EvaluationInput, EvaluationResult, ProtocolAction, ProtocolDefinition, TraceStep } from './protocol.js';

/**
 * Evaluates one protocol version against one input: trigger applicability, then `appliesWhen`, then
 * the condition, then the incomplete-data policy. Pure: the clock is `input.now`, nothing is stored.
 *
 * **A missing fact is never silently false.** A fact the condition reads that is absent (an
 * unanswered item, an absent vital, an empty window, no infant) makes the result INCOMPLETE and is
 * named in `missingFacts`, unless CEL's logic decides without it (`true || missing` is true,
 * `false && missing` is false). cel-js reports absence with typed error codes
 * ({@link MISSING_FACT_ERROR_CODES}); the fact's name is the source text of the AST node the error
 * is attached to. Other evaluation errors (division by zero, an unknown series built at run time)
 * are treated the same way: the rule cannot be decided, so it is INCOMPLETE, never NOT_MATCHED.
 *
 * **An evaluation over its budget** (`evaluation-budget.ts`; only a definition stored before the
 * save-time cost check can get there) is stopped and cannot be decided either: INCOMPLETE with
 * `budgetExceeded`, the expression named in `missingFacts` with the code
 * `evaluation_budget_exceeded`, and always an incomplete-data alert (whatever `onIncompleteData`
 * says: that policy is about absent data, and a rule that could not run must reach a person).
 *
 * @module
 */

/** Thrown only for a definition that `validateDefinition` would refuse; data problems never throw. */
export class InvalidDefinitionError extends Error {
  constructor(readonly problems: readonly DefinitionProblem[]) {
    super(`The protocol definition is invalid: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    this.name = 'InvalidDefinitionError';
  }
}

type Evaluated =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'missing'; readonly facts: readonly string[] }
  | { readonly kind: 'over-budget' };

function renderValue(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) ? value.toString() : Number(value.toFixed(4)).toString();
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(renderValue).join(', ')}]`;
  return String(value);
}

function render(result: Evaluated): string {
  if (result.kind === 'over-budget') return `stopped: ${BUDGET_EXCEEDED_CODE}`;
  return result.kind === 'value' ? renderValue(result.value) : `missing: ${result.facts.join(', ')}`;
}

/** The fact an evaluation error names: the source text of its node, or of its range. */
function factOf(error: EvaluationError, text: string): string {
  const node = error.node;
  const range = node?.range ?? error.range;
  const source = node?.input ?? text;
  const fact = range ? source.slice(range.start, range.end) : text;
  return MISSING_FACT_ERROR_CODES.has(error.code) ? fact : `${fact} (cannot be evaluated: ${error.code})`;
}

type LeafEvaluator = (clause: CompiledCondition['clauses'][number]) => Evaluated | null;

/**
 * Decides a logical structure from its separately evaluated leaves with CEL's commutative logic
 * (an OR with a true operand and an AND with a false one are decided whatever else is missing) and
 * names the missing facts that keep it undecided. Null when a leaf cannot be evaluated alone or is
 * not a bool (then the caller keeps the whole's own report).
 */
function decide(node: LogicNode, evaluateLeaf: LeafEvaluator): { value: boolean | 'missing'; facts: string[] } | null {
  if (node.kind === 'leaf') {
    const result = evaluateLeaf(node.clause);
    if (result === null || result.kind === 'over-budget') return null;
    if (result.kind === 'missing') return { value: 'missing', facts: [...result.facts] };
    return typeof result.value === 'boolean' ? { value: result.value, facts: [] } : null;
  }
  const decisive = node.kind === 'or';
  const facts: string[] = [];
  for (const child of node.children) {
    const decided = decide(child, evaluateLeaf);
    if (decided === null) return null;
    if (decided.value === decisive) return { value: decisive, facts: [] };
    facts.push(...decided.facts);
  }
  return facts.length > 0 ? { value: 'missing', facts } : { value: !decisive, facts: [] };
}

/** The routing of an incomplete-data alert: like the protocol's own alert, else its tasks' roles, else the care coordinator. */
function incompleteDataRouting(actions: readonly ProtocolAction[]): ClinicalRole[] {
  const roles = new Set<ClinicalRole>();
  for (const a of actions) if (a.type === 'RAISE_ALERT') a.routeTo.forEach((r) => roles.add(r));
  if (roles.size === 0) for (const a of actions) if (a.type === 'CREATE_TASK') roles.add(a.assignTo);
  if (roles.size === 0) roles.add('CARE_COORDINATOR');
  return [...roles];
}

/** The result of an evaluation that could not run within its budget (see the module comment). */
function overBudget(definition: ProtocolDefinition, text: string, trace: TraceStep[], evidenceIds: string[]): EvaluationResult {
  return {
    severity: definition.severity,
    outcome: 'INCOMPLETE',
    trace,
    missingFacts: [`${text} (cannot be evaluated: ${BUDGET_EXCEEDED_CODE})`],
    evidenceIds,
    actions: [{ type: 'RAISE_ALERT', routeTo: incompleteDataRouting(definition.actions) }],
    incompleteData: true,
    budgetExceeded: true,
  };
}

/** Whether the trigger concerns this input: ON_UPDATE for updates of its kinds, SCHEDULED without an update. */
export function triggerApplies(definition: ProtocolDefinition, input: EvaluationInput): boolean {
  const trigger = definition.trigger;
  if (trigger.type === 'SCHEDULED') return input.update === null;
  return input.update !== null && trigger.kinds.includes(input.update.kind);
}

/**
 * The protocol engine over one {@link ConditionCompiler} (its compile cache). `evaluateProtocol`
 * uses the shared default; tests and the benchmark may build their own.
 */
export class ProtocolEngine {
  /**
   * The sorted timeline and CEL context of each input, built once however many protocols evaluate
   * it (inputs are immutable; entries go when the caller drops the input).
   */
  private readonly prepared = new WeakMap<EvaluationInput, { timeline: PatientTimeline; context: ConditionContext }>();

  /**
   * @param compiler The compiler (and compile cache) the engine evaluates with.
   * @param budget Work units each expression evaluation may spend (`evaluation-budget.ts`); the
   *   default is the save-time bound, so only a definition stored before that check can run out.
   */
  constructor(
    readonly compiler: ConditionCompiler = defaultCompiler(),
    private readonly budget: number = CONDITION_LIMITS.maxCost,
  ) {}

  private prepare(input: EvaluationInput): { timeline: PatientTimeline; context: ConditionContext } {
    let prepared = this.prepared.get(input);
    if (!prepared) {
      const timeline = new PatientTimeline(input.now, input.update, input.history, input.update?.infantId ?? null);
      prepared = { timeline, context: buildConditionContext(input, timeline) };
      this.prepared.set(input, prepared);
    }
    return prepared;
  }

  /**
   * The compiled expressions, or the text of the first whose worst case is over the budget (a
   * definition stored before the save-time cost check: it is not run, see the module comment).
   */
  private compiled(definition: ProtocolDefinition): { condition: CompiledCondition; appliesWhen: CompiledCondition | null } | { overBudget: string } {
    const condition = this.compiler.compile(definition.condition);
    const appliesWhen = definition.appliesWhen === null || definition.appliesWhen === undefined ? null : this.compiler.compile(definition.appliesWhen);
    const trigger = definition.trigger;
    const triggerOk = trigger?.type === 'SCHEDULED' || (trigger?.type === 'ON_UPDATE' && Array.isArray(trigger.kinds));
    if (triggerOk && appliesWhen !== null && !appliesWhen.ok && appliesWhen.overBudget) return { overBudget: `appliesWhen: ${definition.appliesWhen}` };
    if (triggerOk && !condition.ok && condition.overBudget && (appliesWhen === null || appliesWhen.ok)) return { overBudget: definition.condition };
    if (!triggerOk || !condition.ok || (appliesWhen !== null && !appliesWhen.ok)) {
      throw new InvalidDefinitionError(validateDefinition(definition, 'input', this.compiler));
    }
    return { condition: condition.condition, appliesWhen: appliesWhen?.ok ? appliesWhen.condition : null };
  }

  /** Evaluates `definition` against `input` (see the module comment). */
  evaluate(definition: ProtocolDefinition, input: EvaluationInput): EvaluationResult {
    const compiled = this.compiled(definition);
    const base = { severity: definition.severity, missingFacts: [] as string[], actions: [] as ProtocolAction[], incompleteData: false };
    if (!triggerApplies(definition, input)) return { ...base, outcome: 'NOT_APPLICABLE', trace: [], evidenceIds: [] };
    if ('overBudget' in compiled) return overBudget(definition, compiled.overBudget, [], input.update ? [input.update.id] : []);
    const { condition, appliesWhen } = compiled;

    const { timeline, context } = this.prepare(input);
    const evidence = new Set<string>();
    if (input.update) evidence.add(input.update.id);
    const useRecord = (id: string): void => void evidence.add(id);
    const ignoreRecord = (): void => undefined;
    const environment = this.compiler.environment;
    const run = (compiled: CompiledCondition['evaluate'], text: string, record: (id: string) => void): Evaluated =>
      environment.run({ timeline, useRecord: record, budget: this.budget }, (exceeded) => {
        try {
          const value = compiled(context.variables);
          return exceeded() ? { kind: 'over-budget' } : { kind: 'value', value };
        } catch (error) {
          if (exceeded()) return { kind: 'over-budget' };
          if (error instanceof EvaluationError) return { kind: 'missing', facts: [factOf(error, text)] };
          throw error;
        }
      });
    const evidenceIds = (compiled: CompiledCondition): string[] => {
      if (compiled.readsInfantWeight && context.latestWeight) evidence.add(context.latestWeight.id);
      return [...evidence];
    };

    const trace: TraceStep[] = [];
    if (appliesWhen) {
      const applies = run(appliesWhen.evaluate, appliesWhen.text, useRecord);
      trace.push({ expression: `appliesWhen: ${appliesWhen.text}`, value: render(applies) });
      if (applies.kind === 'over-budget') return overBudget(definition, `appliesWhen: ${appliesWhen.text}`, trace, evidenceIds(appliesWhen));
      if (applies.kind !== 'value' || applies.value !== true) {
        return { ...base, outcome: 'NOT_APPLICABLE', trace, evidenceIds: evidenceIds(appliesWhen) };
      }
    }

    const clauseResults = condition.clauses.map((clause) => ({
      clause,
      result: clause.evaluate ? run(clause.evaluate, clause.text, ignoreRecord) : null,
    }));
    for (const { clause, result } of clauseResults) trace.push({ expression: clause.text, value: result ? render(result) : 'not traced' });
    const whole = run(condition.evaluate, condition.text, useRecord);
    trace.push({ expression: condition.text, value: render(whole) });
    const ids = evidenceIds(condition);

    if (whole.kind === 'over-budget') return overBudget(definition, condition.text, trace, ids);
    if (whole.kind === 'value') {
      const matched = whole.value === true;
      return { ...base, outcome: matched ? 'MATCHED' : 'NOT_MATCHED', trace, actions: matched ? [...definition.actions] : [], evidenceIds: ids };
    }
    const decided = decide(condition.logic, (clause) => (clause.evaluate ? run(clause.evaluate, clause.text, ignoreRecord) : null));
    const missingFacts = [...new Set(decided?.value === 'missing' ? decided.facts : whole.facts)];
    const incomplete = { ...base, outcome: 'INCOMPLETE' as const, trace, missingFacts, evidenceIds: ids };
    if (definition.onIncompleteData === 'SKIP') return incomplete;
    if (definition.onIncompleteData === 'EVALUATE_AS_MATCH') return { ...incomplete, actions: [...definition.actions] };
    // RAISE_INCOMPLETE_DATA_ALERT, and the safe default for anything else.
    return { ...incomplete, actions: [{ type: 'RAISE_ALERT', routeTo: incompleteDataRouting(definition.actions) }], incompleteData: true };
  }
}

/**
 * Evaluates one protocol version against one input with the shared compiler: compiles each
 * expression once (cached), never throws for missing or malformed data (INCOMPLETE instead), and
 * throws {@link InvalidDefinitionError} only for a definition that `validateDefinition` refuses
 * (except one refused only for its worst-case work, which is reported as over budget, unrun).
 *
 * Fire when `actions` is non-empty: MATCHED gives the protocol's actions; INCOMPLETE gives the
 * incomplete-data policy's (`RAISE_INCOMPLETE_DATA_ALERT`: one RAISE_ALERT routed like the
 * protocol's alert with `incompleteData: true`, at the protocol's severity, so CRITICAL protocols
 * raise CRITICAL incomplete-data alerts; `EVALUATE_AS_MATCH`: the protocol's actions; `SKIP`: none).
 */
export function evaluateProtocol(definition: ProtocolDefinition, input: EvaluationInput): EvaluationResult {
  sharedEngine ??= new ProtocolEngine();
  return sharedEngine.evaluate(definition, input);
}

/** The engine of {@link evaluateProtocol}: pure caches only (compiled expressions, prepared inputs), see `default-compiler.ts`. */
let sharedEngine: ProtocolEngine | null = null;
