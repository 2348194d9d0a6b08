import type { ASTNode } from '@marcbachmann/cel-js';
import { CONDITION_FUNCTIONS } from './cel-environment.js';
import { FACT_OBJECTS } from './condition-facts.js';
import { numericFieldsOf, parseSeries, SERIES_NAMES } from './history-window.js';

/**
 * The cost limit of a condition, checked at save time on the parsed expression, and the static
 * checks of window-function arguments written as literals.
 *
 * Two kinds of limit: structural ones here (length, nodes, depth, window calls, comprehension
 * nesting, literal sizes), which keep expressions readable and cheap to check, and the work bound
 * `maxCost` of `condition-size.ts`, which counts the sizes values reach at run time (a list built
 * by `split` or `map` is as costly to iterate as a literal one) and is also the run-time budget of
 * every evaluation (`evaluation-budget.ts`). A window call inside a comprehension would scan the
 * history once per element and is refused. Regular expressions (`matches`) are refused because
 * their cost depends on the pattern and the input, not on the expression's size.
 *
 * @module
 */

/** The limits, all inclusive maxima. */
export const CONDITION_LIMITS = Object.freeze({
  /** Characters of the expression text. */
  maxLength: 2000,
  /** AST nodes (each literal, name, operator, call counts one). */
  maxNodes: 200,
  /** Nesting depth of the AST. */
  maxDepth: 24,
  /** Calls of history window functions (`count`, `min`, `max`, `avg`, `sum`, `latest`, `previous`, `delta`, `daysSinceLast`). */
  maxWindowCalls: 12,
  /** Comprehension macros (`all`, `exists`, `exists_one`, `map`, `filter`) nested in one another. */
  maxComprehensionNesting: 2,
  /** Elements of one list (or entries of one map) literal. */
  maxListElements: 50,
  /**
   * Work units of one evaluation in the worst case, from the sizes every value can reach at run
   * time (`condition-size.ts`); also the run-time budget of each evaluation (`evaluation-budget.ts`).
   */
  maxCost: 25_000,
});

/** Functions refused in conditions, with the reason. */
const REFUSED_FUNCTIONS: Readonly<Record<string, string>> = Object.freeze({
  matches: 'regular expressions are not allowed in conditions (their cost cannot be bounded)',
});

const COMPREHENSIONS: ReadonlySet<string> = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
const WINDOW_FUNCTIONS: ReadonlySet<string> = new Set(CONDITION_FUNCTIONS.filter((f) => f.readsHistory).map((f) => f.name));

/** A problem found on the AST, with the 0-based offset it starts at. */
export interface AstProblem {
  readonly message: string;
  readonly offset: number;
}

/** What the analysis measured (for messages, tests and the benchmark). */
export interface ConditionCost {
  readonly nodes: number;
  readonly depth: number;
  readonly windowCalls: number;
  readonly comprehensionNesting: number;
}

/** The AST children of a node (operands, call arguments, list elements, map keys and values). */
export function childrenOf(node: ASTNode): ASTNode[] {
  if (node.op === 'value' || node.op === 'id') return [];
  const children: ASTNode[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value !== null && typeof value === 'object' && 'op' in value && 'range' in value) children.push(value as ASTNode);
  };
  collect(node.args);
  return children;
}

function callName(node: ASTNode): string | null {
  if (node.op === 'call') return node.args[0];
  if (node.op === 'rcall') return node.args[0];
  return null;
}

function callArgs(node: ASTNode): ASTNode[] {
  if (node.op === 'call') return node.args[1];
  if (node.op === 'rcall') return node.args[2];
  return [];
}

function stringLiteral(node: ASTNode | undefined): string | null {
  return node?.op === 'value' && typeof node.args === 'string' ? node.args : null;
}

function intLiteral(node: ASTNode | undefined): bigint | null {
  return node?.op === 'value' && typeof node.args === 'bigint' ? node.args : null;
}

/** Checks literal series, field and window-length arguments of a window call. */
function checkWindowArguments(node: ASTNode, name: string, problems: AstProblem[]): void {
  const [seriesArg, fieldArg, windowArg] = callArgs(node);
  const lastN = intLiteral(windowArg);
  if (lastN !== null && lastN < 1n && windowArg) {
    problems.push({ offset: windowArg.range.start, message: `${name}() over the last N records needs N of at least 1.` });
  }
  const seriesName = stringLiteral(seriesArg);
  if (seriesName === null || !seriesArg) return;
  const series = parseSeries(seriesName);
  if (!series) {
    problems.push({ offset: seriesArg.range.start, message: `Unknown series '${seriesName}' in ${name}(): use one of ${SERIES_NAMES.join(', ')}.` });
    return;
  }
  if (name === 'count' || name === 'daysSinceLast') return;
  const fieldName = stringLiteral(fieldArg);
  const fields = numericFieldsOf(series);
  if (fieldName !== null && fieldArg && !fields.includes(fieldName)) {
    const known = fields.length > 0 ? `one of ${fields.join(', ')}` : 'none (count its records instead)';
    problems.push({ offset: fieldArg.range.start, message: `Series '${seriesName}' has no numeric field '${fieldName}' for ${name}(): its fields are ${known}.` });
  }
}

/**
 * Measures an expression against {@link CONDITION_LIMITS} and checks literal window arguments.
 * Returns the measurements and every problem found (empty when within the limits).
 */
export function analyseCondition(ast: ASTNode): { cost: ConditionCost; problems: AstProblem[] } {
  const problems: AstProblem[] = [];
  let nodes = 0;
  let maxDepth = 0;
  let windowCalls = 0;
  let maxNesting = 0;
  const visit = (node: ASTNode, depth: number, nesting: number): void => {
    nodes++;
    maxDepth = Math.max(maxDepth, depth);
    const name = callName(node);
    let innerNesting = nesting;
    if (name !== null) {
      const refused = REFUSED_FUNCTIONS[name];
      if (refused) problems.push({ offset: node.range.start, message: `${name}() is not allowed: ${refused}.` });
      const length = intLiteral(callArgs(node)[0]);
      if (node.op === 'call' && (name === 'days' || name === 'hours') && length !== null && length < 1n) {
        problems.push({ offset: node.range.start, message: `${name}() needs a length of at least 1.` });
      }
      if (node.op === 'rcall' && COMPREHENSIONS.has(name)) {
        innerNesting = nesting + 1;
        maxNesting = Math.max(maxNesting, innerNesting);
      }
      if (node.op === 'call' && WINDOW_FUNCTIONS.has(name)) {
        windowCalls++;
        if (nesting > 0) problems.push({ offset: node.range.start, message: `${name}() cannot be called inside a comprehension (all, exists, map, filter): it would scan the history once per element.` });
        checkWindowArguments(node, name, problems);
      }
    }
    if (node.op === '.' && node.args[0].op === 'id' && Object.hasOwn(FACT_OBJECTS, node.args[0].args)) {
      // The type checker catches unknown fields in ordinary access, but not inside has().
      const fields = FACT_OBJECTS[node.args[0].args as keyof typeof FACT_OBJECTS];
      if (!Object.hasOwn(fields, node.args[1])) {
        problems.push({
          offset: node.range.start,
          message: `'${node.args[0].args}.${node.args[1]}' is not a known fact: its fields are ${Object.keys(fields).join(', ')}.`,
        });
      }
    }
    if (node.op === 'list' && node.args.length > CONDITION_LIMITS.maxListElements) {
      problems.push({ offset: node.range.start, message: `A list literal may hold at most ${CONDITION_LIMITS.maxListElements} elements.` });
    }
    if (node.op === 'map' && node.args.length > CONDITION_LIMITS.maxListElements) {
      problems.push({ offset: node.range.start, message: `A map literal may hold at most ${CONDITION_LIMITS.maxListElements} entries.` });
    }
    for (const child of childrenOf(node)) visit(child, depth + 1, innerNesting);
  };
  visit(ast, 1, 0);
  const cost: ConditionCost = { nodes, depth: maxDepth, windowCalls, comprehensionNesting: maxNesting };
  const at = ast.range.start;
  const L = CONDITION_LIMITS;
  if (nodes > L.maxNodes) problems.push({ offset: at, message: `The expression is too costly: ${nodes} nodes, at most ${L.maxNodes} allowed.` });
  if (maxDepth > L.maxDepth) problems.push({ offset: at, message: `The expression is too costly: nested ${maxDepth} deep, at most ${L.maxDepth} allowed.` });
  if (windowCalls > L.maxWindowCalls) problems.push({ offset: at, message: `The expression is too costly: ${windowCalls} history window calls, at most ${L.maxWindowCalls} allowed.` });
  if (maxNesting > L.maxComprehensionNesting) {
    problems.push({ offset: at, message: `The expression is too costly: comprehensions nested ${maxNesting} deep, at most ${L.maxComprehensionNesting} allowed.` });
  }
  return { cost, problems };
}
