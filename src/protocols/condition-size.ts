import type { ASTNode } from '@marcbachmann/cel-js';
import { CONDITION_FUNCTIONS, SIZE_BOUNDS } from './cel-environment.js';
import { FACT_OBJECTS, SYMPTOMS_VARIABLE, type FactField } from './condition-facts.js';

/**
 * The sound static cost model of a condition: an upper bound on the work one evaluation can do,
 * computed on the parsed expression before it is saved.
 *
 * Every value an expression can produce gets an upper bound on its run-time size ({@link Shape}):
 * string literals their length, facts the bounds of what the server stores (enums, lists of at
 * most {@link SIZE_BOUNDS.factList} elements), `split` at most one element more than characters in
 * its input, `+` the sum of its operands, `map` the size of its range, and so on. The cost of a node
 * is bounded from the sizes of its operands (a comparison reads at most the smaller operand, `in` a
 * list reads each element, a comprehension runs its body once per element of its range). Anything
 * the model cannot bound (a function it does not know) has an infinite cost and is refused.
 *
 * The unit is one work unit: one AST node evaluation, or one character or element produced or
 * read. The run-time meter (`evaluation-budget.ts`) charges node evaluations and the sizes of the
 * values built, so its count never exceeds this bound; the bound is what the save-time check
 * compares with {@link CONDITION_LIMITS.maxCost}. History window scans are not in the unit: they
 * are linear in the patient's history and limited in number by `maxWindowCalls`.
 *
 * @module
 */

/**
 * An upper bound on a value's run-time size: `length` is the most characters (string), elements
 * (list) or entries (map) it can have (1 for a scalar); `element` bounds list elements or map
 * values, `key` map keys. A shape joins lists and maps (a `dyn` list may hold either).
 */
export interface Shape {
  readonly length: number;
  readonly scalar: boolean;
  readonly element: Shape | null;
  readonly key: Shape | null;
}

const SCALAR: Shape = Object.freeze({ length: 1, scalar: true, element: null, key: null });
const UNBOUNDED: Shape = Object.freeze({ length: Number.POSITIVE_INFINITY, scalar: false, element: null, key: null });

function stringOf(length: number): Shape {
  return { length, scalar: false, element: null, key: null };
}

function listOf(length: number, element: Shape): Shape {
  return { length, scalar: false, element, key: null };
}

function join(a: Shape | null, b: Shape | null): Shape | null {
  if (a === null) return b;
  if (b === null) return a;
  return {
    length: Math.max(a.length, b.length),
    scalar: a.scalar && b.scalar,
    element: join(a.element, b.element),
    key: join(a.key, b.key),
  };
}

/** Units needed to read a whole value once (every character, element, key and nested value). */
export function deepSize(shape: Shape | null): number {
  if (shape === null || shape.scalar) return 1;
  const inner = shape.element === null && shape.key === null ? 0 : deepSize(shape.element) + (shape.key === null ? 0 : deepSize(shape.key));
  return 1 + shape.length + shape.length * inner;
}

function factShape(field: FactField): Shape {
  switch (field.type) {
    case 'string':
      return stringOf(SIZE_BOUNDS.factString);
    case 'list<int>':
      return listOf(SIZE_BOUNDS.factList, SCALAR);
    default:
      return SCALAR;
  }
}

function factObjectShape(name: string): Shape | null {
  if (!Object.hasOwn(FACT_OBJECTS, name)) return null;
  const fields = Object.values(FACT_OBJECTS[name as keyof typeof FACT_OBJECTS] as Record<string, FactField>);
  let value: Shape | null = null;
  for (const field of fields) value = join(value, factShape(field));
  return { length: fields.length, scalar: false, element: value, key: stringOf(SIZE_BOUNDS.factString) };
}

/** What a node costs and produces. */
interface Measure {
  readonly cost: number;
  readonly shape: Shape;
}

/** The iteration and `cel.bind` variables in scope, with the shapes of their values. */
type Scope = ReadonlyMap<string, Shape>;

const WINDOW_AND_DURATION_FUNCTIONS: ReadonlySet<string> = new Set(CONDITION_FUNCTIONS.map((f) => f.name));
const SCALAR_FUNCTIONS: ReadonlySet<string> = new Set([
  'bool', 'int', 'uint', 'double', 'type', 'duration', 'timestamp',
  'getDate', 'getDayOfMonth', 'getDayOfWeek', 'getDayOfYear', 'getFullYear', 'getHours', 'getMilliseconds', 'getMinutes', 'getMonth', 'getSeconds',
  'startsWith', 'endsWith', 'contains', 'indexOf', 'lastIndexOf', 'at',
]);
/** Functions that search one string in another (worst case: every character against every one of the pattern). */
const STRING_SEARCHES: ReadonlySet<string> = new Set(['startsWith', 'endsWith', 'contains', 'indexOf', 'lastIndexOf']);
const QUANTIFIERS: ReadonlySet<string> = new Set(['all', 'exists', 'exists_one']);

function stringLiteralLength(node: ASTNode | undefined): number | null {
  return node?.op === 'value' && typeof node.args === 'string' ? node.args.length : null;
}

function identifierOf(node: ASTNode | undefined): string | null {
  return node?.op === 'id' && typeof node.args === 'string' ? node.args : null;
}

/** The shape an element of a comprehension's range takes (a list's elements, a map's keys). */
function elementOf(range: Shape): Shape {
  return join(range.element, range.key) ?? (range.scalar ? SCALAR : UNBOUNDED);
}

class CostModel {
  measure(node: ASTNode, scope: Scope): Measure {
    switch (node.op) {
      case 'value':
        return { cost: 1, shape: typeof node.args === 'string' ? stringOf(node.args.length) : node.args instanceof Uint8Array ? stringOf(node.args.length) : SCALAR };
      case 'id':
        return { cost: 1, shape: this.variable(node.args as string, scope) };
      case '.':
      case '.?':
        return this.field(node, scope);
      case '[]':
      case '[?]': {
        const [object, index] = (node.args as ASTNode[]).map((a) => this.measure(a, scope)) as [Measure, Measure];
        return { cost: object.cost + index.cost + deepSize(index.shape) + 1, shape: object.shape.element ?? (object.shape.scalar ? SCALAR : UNBOUNDED) };
      }
      case 'list': {
        const elements = (node.args as ASTNode[]).map((a) => this.measure(a, scope));
        let element: Shape | null = null;
        for (const e of elements) element = join(element, e.shape);
        return { cost: 1 + elements.length + sum(elements), shape: listOf(elements.length, element ?? SCALAR) };
      }
      case 'map': {
        const entries = (node.args as [ASTNode, ASTNode][]).map(([k, v]) => [this.measure(k, scope), this.measure(v, scope)] as const);
        let key: Shape | null = null;
        let value: Shape | null = null;
        let cost = 1 + entries.length;
        for (const [k, v] of entries) {
          key = join(key, k.shape);
          value = join(value, v.shape);
          cost += k.cost + v.cost + deepSize(k.shape);
        }
        return { cost, shape: { length: entries.length, scalar: false, element: value ?? SCALAR, key: key ?? SCALAR } };
      }
      case '?:': {
        const [condition, then, otherwise] = (node.args as ASTNode[]).map((a) => this.measure(a, scope)) as [Measure, Measure, Measure];
        return { cost: 1 + condition.cost + Math.max(then.cost, otherwise.cost), shape: join(then.shape, otherwise.shape)! };
      }
      case '!_':
      case '-_': {
        const operand = this.measure(node.args as ASTNode, scope);
        return { cost: operand.cost + 1, shape: SCALAR };
      }
      case 'call':
        return this.call(node.args[0] as string, null, node.args[1] as ASTNode[], scope);
      case 'rcall':
        return this.call(node.args[0] as string, node.args[1] as ASTNode, node.args[2] as ASTNode[], scope);
      default:
        return this.binary(node, scope);
    }
  }

  private variable(name: string, scope: Scope): Shape {
    const bound = scope.get(name);
    if (bound) return bound;
    if (name === SYMPTOMS_VARIABLE.name) return listOf(SIZE_BOUNDS.factList, stringOf(SIZE_BOUNDS.factString));
    return factObjectShape(name) ?? UNBOUNDED;
  }

  private field(node: ASTNode, scope: Scope): Measure {
    const [objectNode, fieldName] = node.args as [ASTNode, string];
    const name = identifierOf(objectNode);
    if (name !== null && !scope.has(name) && Object.hasOwn(FACT_OBJECTS, name)) {
      const fields = FACT_OBJECTS[name as keyof typeof FACT_OBJECTS] as Record<string, FactField>;
      const field = Object.hasOwn(fields, fieldName) ? fields[fieldName] : undefined;
      return { cost: 2, shape: field ? factShape(field) : UNBOUNDED };
    }
    const object = this.measure(objectNode, scope);
    return { cost: object.cost + 1 + fieldName.length, shape: object.shape.element ?? UNBOUNDED };
  }

  private binary(node: ASTNode, scope: Scope): Measure {
    if (!Array.isArray(node.args) || node.args.length !== 2) return { cost: Number.POSITIVE_INFINITY, shape: UNBOUNDED };
    const [a, b] = (node.args as ASTNode[]).map((x) => this.measure(x, scope)) as [Measure, Measure];
    const operands = a.cost + b.cost + 1;
    switch (node.op) {
      case '||':
      case '&&':
      case '-':
      case '*':
      case '/':
      case '%':
        return { cost: operands, shape: SCALAR };
      case '==':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=':
        return { cost: operands + Math.min(deepSize(a.shape), deepSize(b.shape)), shape: SCALAR };
      case 'in': {
        const element = elementOf(b.shape);
        return { cost: operands + deepSize(a.shape) + b.shape.length * (1 + Math.min(deepSize(a.shape), deepSize(element))), shape: SCALAR };
      }
      case '+': {
        if (a.shape.scalar && b.shape.scalar) return { cost: operands, shape: SCALAR };
        const shape: Shape = { length: a.shape.length + b.shape.length, scalar: false, element: join(a.shape.element, b.shape.element), key: null };
        return { cost: operands + shape.length, shape };
      }
      default:
        return { cost: Number.POSITIVE_INFINITY, shape: UNBOUNDED };
    }
  }

  private call(name: string, receiverNode: ASTNode | null, argNodes: readonly ASTNode[], scope: Scope): Measure {
    if (receiverNode !== null && identifierOf(receiverNode) === 'cel' && !scope.has('cel') && name === 'bind') return this.bind(argNodes, scope);
    if (receiverNode !== null && (QUANTIFIERS.has(name) || name === 'map' || name === 'filter')) return this.comprehension(name, receiverNode, argNodes, scope);
    if (name === 'has') return { cost: 2 + argNodes.length, shape: SCALAR };
    if (name === 'size') return { cost: 1 + sum(argNodes.map((a) => this.measure(a, scope))) + (receiverNode ? this.measure(receiverNode, scope).cost : 0), shape: SCALAR };
    const receiver = receiverNode === null ? null : this.measure(receiverNode, scope);
    const args = argNodes.map((a) => this.measure(a, scope));
    const operands = 1 + (receiver?.cost ?? 0) + sum(args);
    const input = receiver?.shape ?? args[0]?.shape ?? SCALAR;
    const reads = deepSize(input) + args.reduce((total, a) => total + deepSize(a.shape), 0);
    if (STRING_SEARCHES.has(name)) return { cost: operands + reads + input.length * (args[0]?.shape.length ?? 1), shape: SCALAR };
    if (SCALAR_FUNCTIONS.has(name) || (receiverNode === null && WINDOW_AND_DURATION_FUNCTIONS.has(name))) return { cost: operands + reads, shape: SCALAR };
    const produced = this.producedBy(name, input, argNodes, args);
    if (produced === null) return { cost: Number.POSITIVE_INFINITY, shape: UNBOUNDED };
    return { cost: operands + reads + deepSize(produced), shape: produced };
  }

  /** The shape of what a value-building function returns, or null when the model does not know it. */
  private producedBy(name: string, input: Shape, argNodes: readonly ASTNode[], args: readonly Measure[]): Shape | null {
    switch (name) {
      case 'dyn':
        return input;
      case 'string':
        return input.scalar ? stringOf(SIZE_BOUNDS.scalarText) : stringOf(input.length);
      case 'bytes':
        return stringOf(input.length * 3);
      case 'lowerAscii':
      case 'upperAscii':
        return stringOf(input.length * 3);
      case 'trim':
      case 'substring':
        return stringOf(input.length);
      case 'hex':
        return stringOf(input.length * 2);
      case 'base64':
        return stringOf(Math.ceil(input.length / 3) * 4);
      case 'split': {
        const separator = stringLiteralLength(argNodes[0]);
        const pieces = separator !== null && separator > 0 ? Math.floor(input.length / separator) + 1 : input.length + 1;
        return listOf(pieces, stringOf(input.length));
      }
      case 'join': {
        const element = input.element ?? SCALAR;
        const separator = args[0]?.shape.length ?? 0;
        return stringOf(input.length * (element.scalar ? SIZE_BOUNDS.scalarText : element.length) + Math.max(0, input.length - 1) * separator);
      }
      default:
        return null;
    }
  }

  private comprehension(name: string, receiverNode: ASTNode, argNodes: readonly ASTNode[], scope: Scope): Measure {
    const range = this.measure(receiverNode, scope);
    const variable = identifierOf(argNodes[0]);
    if (variable === null) return { cost: Number.POSITIVE_INFINITY, shape: UNBOUNDED };
    const inner = new Map(scope).set(variable, elementOf(range.shape));
    const body = argNodes.slice(1).map((a) => this.measure(a, inner));
    const perElement = 3 + sum(body);
    const cost = range.cost + 4 + range.shape.length * perElement;
    if (QUANTIFIERS.has(name)) return { cost, shape: SCALAR };
    const element = name === 'filter' ? elementOf(range.shape) : body.at(-1)!.shape;
    return { cost: cost + range.shape.length, shape: listOf(range.shape.length, element) };
  }

  private bind(argNodes: readonly ASTNode[], scope: Scope): Measure {
    const [variableNode, valueNode, bodyNode] = argNodes;
    const variable = identifierOf(variableNode);
    if (variable === null || !valueNode || !bodyNode) return { cost: Number.POSITIVE_INFINITY, shape: UNBOUNDED };
    const value = this.measure(valueNode, scope);
    const body = this.measure(bodyNode, new Map(scope).set(variable, value.shape));
    return { cost: 2 + value.cost + body.cost, shape: body.shape };
  }
}

function sum(measures: readonly Measure[]): number {
  return measures.reduce((total, m) => total + m.cost, 0);
}

/**
 * An upper bound on the work units of one evaluation of `ast` (see the module comment); infinite
 * when the expression uses something the model cannot bound. Call it on a type-checked expression.
 */
export function worstCaseCost(ast: ASTNode): number {
  return new CostModel().measure(ast, new Map()).cost;
}
