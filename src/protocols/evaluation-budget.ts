import type { ASTNode } from '@marcbachmann/cel-js';

/**
 * The run-time budget of one condition evaluation, enforced inside cel-js: every AST node of a
 * compiled expression is wrapped so that evaluating it charges one unit, and a node that builds a
 * string, list or map (`+`, a list or map literal, a function such as `split`) also charges the
 * size of what it built. The count uses the units of the static model (`condition-size.ts`), which
 * bounds it from above, so an expression accepted at save time never runs out; the budget is the
 * second line of defence (a definition stored before the static check, a gap in the model) and
 * stops the evaluation as soon as it is spent, with {@link EvaluationBudgetExceededError}.
 *
 * cel-js catches errors inside `||`, `&&` and the quantifiers (CEL's commutative logic), so the
 * meter stays spent once over: every later node throws again, and the engine asks
 * {@link EvaluationMeter.exceeded} rather than trusting whatever value came back.
 *
 * @module
 */

/** The engine's code for an evaluation stopped by its budget (trace, missing facts, logs). */
export const BUDGET_EXCEEDED_CODE = 'evaluation_budget_exceeded';

/** Thrown inside an evaluation whose budget is spent. Carries no data of the evaluation. */
export class EvaluationBudgetExceededError extends Error {
  readonly code = BUDGET_EXCEEDED_CODE;

  constructor(readonly budget: number) {
    super(`The evaluation exceeded its budget of ${budget} work units.`);
    this.name = 'EvaluationBudgetExceededError';
  }
}

/** The meter of the evaluation under way (cel-js evaluates synchronously: one at a time). */
export class EvaluationMeter {
  private remaining = Number.POSITIVE_INFINITY;
  private budget = Number.POSITIVE_INFINITY;
  private spent = 0;
  private over = false;
  private last = 0;

  /** Starts metering an evaluation with `budget` units; returns the previous state for {@link restore}. */
  start(budget: number): readonly [number, number, number, boolean] {
    const previous = [this.remaining, this.budget, this.spent, this.over] as const;
    this.remaining = budget;
    this.budget = budget;
    this.spent = 0;
    this.over = false;
    return previous;
  }

  /** Puts back the state {@link start} returned (a nested evaluation ends). */
  restore(previous: readonly [number, number, number, boolean]): void {
    this.last = this.spent;
    [this.remaining, this.budget, this.spent, this.over] = previous;
  }

  /** Units the last finished evaluation charged (for tests and the benchmark). */
  get lastUsed(): number {
    return this.last;
  }

  /** Units charged since {@link start}. */
  get used(): number {
    return this.spent;
  }

  /** Whether the evaluation since {@link start} ran out of budget (whatever value it returned). */
  get exceeded(): boolean {
    return this.over;
  }

  /** Charges `units`; throws once the budget is spent. */
  charge(units: number): void {
    this.spent += units;
    this.remaining -= units;
    if (this.remaining < 0) {
      this.over = true;
      throw new EvaluationBudgetExceededError(this.budget);
    }
  }
}

type NodeEvaluate = (this: ASTNode, evaluator: unknown, ast: ASTNode, context: unknown) => unknown;

/** The size of a built value: characters, elements, entries or bytes (0 for anything else). */
function sizeOf(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value) || value instanceof Uint8Array) return value.length;
  if (value instanceof Map || value instanceof Set) return value.size;
  return 0;
}

interface NodeInternals {
  readonly meta: { readonly alternate?: ASTNode; readonly macro?: Record<string, unknown> };
}

/** Whether evaluating `node` builds a new value whose size the meter charges. */
function buildsValue(node: ASTNode): boolean {
  const meta = (node as unknown as NodeInternals).meta;
  if (node.op === '+' || node.op === 'list' || node.op === 'map') return true;
  return (node.op === 'call' || node.op === 'rcall') && !meta.alternate && !meta.macro;
}

/** Wraps one node's evaluation with the meter (see the module comment). */
function meterNode(node: ASTNode, meter: EvaluationMeter): void {
  const prototypeEvaluate = Object.getPrototypeOf(node).evaluate as NodeEvaluate;
  const charged = buildsValue(node);
  let target: NodeEvaluate | null = null;
  const metered: NodeEvaluate = function (this: ASTNode, evaluator, ast, context) {
    meter.charge(1);
    const value = target ? target.call(this, evaluator, ast, context) : resolve.call(this, evaluator, ast, context);
    if (charged) {
      const size = sizeOf(value);
      if (size > 0) meter.charge(size);
    }
    return value;
  };
  // cel-js resolves a node's evaluate function on its first evaluation, stores it on the node and
  // calls it: keep it as the target, call it once without charging again, and stay in place.
  const resolve: NodeEvaluate = function (this: ASTNode, evaluator, ast, context) {
    Object.defineProperty(node, 'evaluate', {
      configurable: true,
      get: () => (target ? once : metered),
      set: (resolved: NodeEvaluate) => void (target = resolved),
    });
    return prototypeEvaluate.call(this, evaluator, ast, context);
  };
  const once: NodeEvaluate = function (this: ASTNode, evaluator, ast, context) {
    Object.defineProperty(node, 'evaluate', { configurable: true, writable: false, value: metered });
    return target!.call(this, evaluator, ast, context);
  };
  Object.defineProperty(node, 'evaluate', { configurable: true, writable: true, value: metered });
}

/** Every AST node reachable from `root`: operands, comprehension parts, macro expansions. */
function reachableNodes(root: ASTNode): Set<ASTNode> {
  const seen = new Set<ASTNode>();
  const NodeClass = root.constructor;
  const visit = (value: unknown, depth: number): void => {
    if (value === null || typeof value !== 'object' || depth > 64) return;
    if (value instanceof NodeClass) {
      const node = value as ASTNode;
      if (seen.has(node)) return;
      seen.add(node);
      visit(node.args, depth + 1);
      const meta = (node as unknown as NodeInternals).meta;
      visit(meta.alternate, depth + 1);
      visit(meta.macro, depth + 1);
      return;
    }
    if (Array.isArray(value)) for (const item of value) visit(item, depth + 1);
    else if (Object.getPrototypeOf(value) === Object.prototype) for (const item of Object.values(value)) visit(item, depth + 1);
  };
  visit(root, 0);
  return seen;
}

/** Meters every node of a parsed (and type-checked) expression with `meter`. */
export function meterExpression(root: ASTNode, meter: EvaluationMeter): void {
  for (const node of reachableNodes(root)) meterNode(node, meter);
}
