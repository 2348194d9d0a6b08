import type { ASTNode, ParseResult } from '@marcbachmann/cel-js';
import { ConditionEnvironment } from './cel-environment.js';
import { FACT_OBJECTS, SYMPTOMS_VARIABLE } from './condition-facts.js';
import { analyseCondition, childrenOf, CONDITION_LIMITS, type ConditionCost } from './condition-cost.js';
import { worstCaseCost } from './condition-size.js';
import { meterExpression } from './evaluation-budget.js';

/**
 * Compiles condition expressions once: parse, type-check against the declared environment (the
 * result must be `bool`), apply the cost limit, and split the top-level clauses for the trace.
 * Results (failures included) are kept in a bounded cache keyed by the expression text.
 *
 * @module
 */

/** A 1-based line and column in an expression. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** Why an expression was refused, and where. */
export interface CompileProblem {
  readonly message: string;
  readonly position: SourcePosition;
}

/** A top-level clause of a condition (split at `||` or `&&`), compiled on its own for the trace. */
export interface CompiledClause {
  readonly text: string;
  /** Null when the clause alone does not compile (then it is not traced). */
  readonly evaluate: ParseResult | null;
}

/**
 * The `||` / `&&` structure of a condition down to its other sub-expressions (leaves), each leaf
 * compiled on its own. Used to name every missing fact that matters, with CEL's commutative logic
 * (`true || missing` is true, `false && missing` is false).
 */
export type LogicNode =
  | { readonly kind: 'leaf'; readonly clause: CompiledClause }
  | { readonly kind: 'or' | 'and'; readonly children: readonly LogicNode[] };

/** A compiled, type-checked bool expression. */
export interface CompiledCondition {
  readonly text: string;
  readonly evaluate: ParseResult;
  /** The structural measurements and `workUnits`, the static bound on one evaluation's work (`condition-size.ts`). */
  readonly cost: ConditionCost & { readonly workUnits: number };
  /** The top-level clauses; empty when the expression has only one. */
  readonly clauses: readonly CompiledClause[];
  /** The logical structure, for naming missing facts. */
  readonly logic: LogicNode;
  /** Whether it reads the derived infant weight facts (their weighing is evidence). */
  readonly readsInfantWeight: boolean;
  /** The declared variables it reads (`vitals`, `symptoms`, `patient`, …), in order of first use. */
  readonly variables: readonly string[];
}

/** The outcome of compiling one expression. */
export type CompileOutcome =
  | { readonly ok: true; readonly condition: CompiledCondition }
  | {
      readonly ok: false;
      readonly problems: readonly CompileProblem[];
      /** Set when the only problem is the worst-case work over {@link CONDITION_LIMITS.maxCost}. */
      readonly overBudget?: boolean;
    };

/** The 1-based line and column of a 0-based offset into `text`. */
export function positionAt(text: string, offset: number): SourcePosition {
  let line = 1;
  let column = 1;
  for (let i = 0; i < Math.min(offset, text.length); i++) {
    if (text[i] === '\n') {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  return { line, column };
}

const KNOWN_VARIABLES = [...Object.keys(FACT_OBJECTS), SYMPTOMS_VARIABLE.name].join(', ');

interface CelErrorLike {
  readonly name?: string;
  readonly node?: { readonly op?: string; readonly input?: string; readonly range?: { readonly start: number; readonly end: number } };
  readonly code?: string;
  readonly summary?: string;
  readonly message?: string;
  readonly range?: { readonly start: number };
}

/** A message for a cel-js parse or type error that tells the author what to do. */
function describeCelError(error: CelErrorLike): string {
  const summary = error.summary ?? error.message ?? 'invalid expression';
  if (error.code === 'limit_exceeded') return `The expression is too costly: ${summary}.`;
  if (error.name === 'ParseError') return `Syntax error: ${summary}.`;
  switch (error.code) {
    case 'unknown_variable':
      return `${summary}: not a known fact. Known facts: ${KNOWN_VARIABLES}.`;
    case 'no_such_key': {
      const node = error.node;
      const path = node?.op === '.' && node.input && node.range ? node.input.slice(node.range.start, node.range.end) : null;
      return path
        ? `'${path}' is not a known fact: ${summary} (see "Care protocols: condition language").`
        : `${summary}: not a known field (see "Care protocols: condition language").`;
    }
    case 'no_matching_overload':
      return `Unknown function or wrong argument types: ${summary}.`;
    default:
      return `Type error: ${summary}.`;
  }
}

/** The operands of a chain of the same logical operator (`a || b || c` → a, b, c). */
function flattenLogical(ast: ASTNode): ASTNode[] {
  if (ast.op !== '||' && ast.op !== '&&') return [ast];
  const op = ast.op;
  const operands: ASTNode[] = [];
  const flatten = (node: ASTNode): void => {
    if (node.op === op) {
      flatten(node.args[0]);
      flatten(node.args[1]);
    } else {
      operands.push(node);
    }
  };
  flatten(ast);
  return operands;
}

const INFANT_WEIGHT_FIELDS: ReadonlySet<string> = new Set(['latestWeightGrams', 'weightLossPercent']);

const DECLARED_VARIABLES: ReadonlySet<string> = new Set([...Object.keys(FACT_OBJECTS), SYMPTOMS_VARIABLE.name]);

/** The declared variables an expression reads. */
function variablesOf(node: ASTNode, found = new Set<string>()): string[] {
  if (node.op === 'id' && DECLARED_VARIABLES.has(node.args)) found.add(node.args);
  for (const child of childrenOf(node)) variablesOf(child, found);
  return [...found];
}

function readsInfantWeight(node: ASTNode): boolean {
  if (node.op === '.' && INFANT_WEIGHT_FIELDS.has(node.args[1]) && node.args[0].op === 'id' && node.args[0].args === 'infant') return true;
  return childrenOf(node).some(readsInfantWeight);
}

/** The message of an expression whose worst case is over {@link CONDITION_LIMITS.maxCost}. */
function tooCostly(workUnits: number): string {
  const limit = CONDITION_LIMITS.maxCost;
  if (!Number.isFinite(workUnits)) return `The expression is too costly: its worst-case work cannot be bounded, at most ${limit} work units allowed.`;
  return `The expression is too costly: up to ${Math.ceil(workUnits)} work units in the worst case, at most ${limit} allowed.`;
}

/** Parser limits a little above {@link CONDITION_LIMITS}, so huge input stops early and the analysis reports the rest. */
const PARSER_LIMITS = Object.freeze({
  maxAstNodes: CONDITION_LIMITS.maxNodes * 2,
  maxDepth: CONDITION_LIMITS.maxDepth * 2,
  maxListElements: CONDITION_LIMITS.maxListElements * 2,
});

/**
 * Compiles and caches condition expressions (least recently used evicted beyond `capacity`). One
 * compiler owns one {@link ConditionEnvironment}; evaluate its conditions through `environment.run`.
 */
export class ConditionCompiler {
  readonly environment: ConditionEnvironment;
  private readonly cache = new Map<string, CompileOutcome>();

  constructor(private readonly capacity = 1000) {
    this.environment = new ConditionEnvironment(PARSER_LIMITS);
  }

  /** Compiles `text` (cached). */
  compile(text: string): CompileOutcome {
    const cached = this.cache.get(text);
    if (cached) {
      this.cache.delete(text);
      this.cache.set(text, cached);
      return cached;
    }
    const outcome = this.compileUncached(text);
    this.cache.set(text, outcome);
    if (this.cache.size > this.capacity) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    return outcome;
  }

  /** How many expressions are cached (for tests of the bound). */
  get cachedExpressions(): number {
    return this.cache.size;
  }

  private compileUncached(text: string): CompileOutcome {
    const fail = (message: string, offset: number): CompileOutcome => ({ ok: false, problems: [{ message, position: positionAt(text, offset) }] });
    if (typeof text !== 'string') return { ok: false, problems: [{ message: 'The expression must be text.', position: { line: 1, column: 1 } }] };
    if (text.trim().length === 0) return fail('The expression is empty.', 0);
    if (text.length > CONDITION_LIMITS.maxLength) {
      return fail(`The expression is too costly: ${text.length} characters, at most ${CONDITION_LIMITS.maxLength} allowed.`, CONDITION_LIMITS.maxLength);
    }
    let parsed: ParseResult;
    try {
      parsed = this.environment.env.parse(text);
    } catch (error) {
      const e = error as CelErrorLike;
      return fail(describeCelError(e), e.range?.start ?? 0);
    }
    const analysis = analyseCondition(parsed.ast);
    if (analysis.problems.length > 0) {
      return { ok: false, problems: analysis.problems.map((p) => ({ message: p.message, position: positionAt(text, p.offset) })) };
    }
    const checked = parsed.check();
    if (!checked.valid) {
      const e = (checked.error ?? {}) as CelErrorLike;
      return fail(describeCelError(e), e.range?.start ?? 0);
    }
    if (checked.type !== 'bool') {
      return fail(`The expression must be a bool (true or false), but it is ${checked.type ?? 'of unknown type'}.`, 0);
    }
    const workUnits = worstCaseCost(parsed.ast);
    if (!(workUnits <= CONDITION_LIMITS.maxCost)) return { ...fail(tooCostly(workUnits), 0), overBudget: true } as CompileOutcome;
    meterExpression(parsed.ast, this.environment.meter);
    const clauseOf = (node: ASTNode): CompiledClause => {
      const clauseText = text.slice(node.range.start, node.range.end);
      try {
        const clause = this.environment.env.parse(clauseText);
        if (!clause.check().valid) return { text: clauseText, evaluate: null };
        meterExpression(clause.ast, this.environment.meter);
        return { text: clauseText, evaluate: clause };
      } catch {
        return { text: clauseText, evaluate: null };
      }
    };
    const logicOf = (node: ASTNode): LogicNode =>
      node.op === '||' || node.op === '&&'
        ? { kind: node.op === '||' ? 'or' : 'and', children: flattenLogical(node).map(logicOf) }
        : { kind: 'leaf', clause: clauseOf(node) };
    const clauses = parsed.ast.op === '||' || parsed.ast.op === '&&' ? flattenLogical(parsed.ast).map(clauseOf) : [];
    return {
      ok: true,
      condition: { text, evaluate: parsed, cost: { ...analysis.cost, workUnits }, clauses, logic: logicOf(parsed.ast), readsInfantWeight: readsInfantWeight(parsed.ast),
        variables: variablesOf(parsed.ast) },
    };
  }
}
