import {
  GraphQLError,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  NoSchemaIntrospectionCustomRule,
  type ArgumentNode,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { OperationLimitsConfig } from '../config.js';
import { MAX_PAGE_SIZE } from './common/page-info.type.js';

/** Page size assumed for a list with no `first` argument of its own or of its connection field. */
export const DEFAULT_LIST_SIZE = 10;

/**
 * The messages of operation-limit errors, in one place. They name the limit and the measured size
 * (never anything the client sent besides the operation's name), so they are safe to return.
 */
export const OperationLimitMessages = {
  depth: (operation: string, depth: number, max: number) =>
    `${operation} nests fields ${depth} levels deep; the limit is ${max} (operation limit: depth).`,
  aliases: (operation: string, count: number, max: number) =>
    `${operation} uses ${count} aliases; the limit is ${max} (operation limit: aliases).`,
  cost: (operation: string, cost: number, max: number) =>
    `${operation} has an estimated cost of ${cost}; the limit is ${max} (operation limit: cost). Ask for smaller pages or fewer fields.`,
  directives: (count: number, max: number) => `The document uses ${count} directives; the limit is ${max} (operation limit: directives).`,
} as const;

/** What one selection set measures to. */
interface Measure {
  /** Deepest field nesting below (and including) this selection set. */
  readonly depth: number;
  readonly aliases: number;
  readonly cost: number;
}

const NOTHING: Measure = { depth: 0, aliases: 0, cost: 0 };

function operationLabel(operation: OperationDefinitionNode): string {
  return operation.name ? `Operation "${operation.name.value}"` : `The ${operation.operation}`;
}

/**
 * Measures operations of one document. Fragments are measured once per (fragment, inherited page
 * size) and memoised, so a document whose fragments spread each other many times costs linear time
 * to measure; a fragment cycle (reported by graphql-js's own rule) measures as nothing.
 */
class OperationMeasurer {
  private readonly memo = new Map<string, Measure>();
  private readonly visiting = new Set<string>();

  constructor(private readonly context: ValidationContext) {}

  measureOperation(operation: OperationDefinitionNode): Measure {
    const root = this.context.getSchema().getRootType(operation.operation);
    return root ? this.selectionSet(operation.selectionSet, root, null) : NOTHING;
  }

  /**
   * @param pageSize the `first` of the field that owns this selection set (a Relay connection),
   *   which sizes the lists directly inside it (`edges`)
   */
  private selectionSet(selectionSet: SelectionSetNode, parentType: GraphQLNamedType, pageSize: number | null): Measure {
    let depth = 0;
    let aliases = 0;
    let cost = 0;
    const add = (m: Measure) => {
      depth = Math.max(depth, m.depth);
      aliases += m.aliases;
      cost += m.cost;
    };
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const alias = selection.alias ? 1 : 0;
        // Introspection (allowed only outside production) has its own fixed shape; don't limit it.
        if (name.startsWith('__')) {
          add({ depth: 0, aliases: alias, cost: 0 });
          continue;
        }
        const field = isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[name] : undefined;
        if (!field) {
          add({ depth: 1, aliases: alias, cost: 1 });
          continue;
        }
        const first = this.firstOf(selection.arguments ?? [], field);
        const listSize = isListType(getNullableType(field.type)) ? (first ?? pageSize ?? DEFAULT_LIST_SIZE) : 1;
        const below = selection.selectionSet ? this.selectionSet(selection.selectionSet, getNamedType(field.type), first) : NOTHING;
        add({ depth: 1 + below.depth, aliases: alias + below.aliases, cost: 1 + below.cost * listSize });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value;
        const type = typeName ? this.context.getSchema().getType(typeName) : parentType;
        if (type) add(this.selectionSet(selection.selectionSet, type, pageSize));
      } else {
        add(this.fragment(this.context.getFragment(selection.name.value), pageSize));
      }
    }
    return { depth, aliases, cost };
  }

  private fragment(fragment: FragmentDefinitionNode | null | undefined, pageSize: number | null): Measure {
    if (!fragment) return NOTHING;
    const key = `${fragment.name.value}\u0000${pageSize ?? ''}`;
    const known = this.memo.get(key);
    if (known) return known;
    const type = this.context.getSchema().getType(fragment.typeCondition.name.value);
    if (!type || this.visiting.has(key)) return NOTHING;
    this.visiting.add(key);
    const measure = this.selectionSet(fragment.selectionSet, type, pageSize);
    this.visiting.delete(key);
    this.memo.set(key, measure);
    return measure;
  }

  /**
   * The page size a field asks for: its `first` literal; for a variable, the most the server ever
   * returns (variables are not known at validation); when omitted, the argument's default. Null
   * when the field takes no `first`.
   */
  private firstOf(args: readonly ArgumentNode[], field: GraphQLField<unknown, unknown>): number | null {
    const definition = field.args.find((a) => a.name === 'first');
    if (!definition) return null;
    const given = args.find((a) => a.name.value === 'first')?.value;
    if (!given) return typeof definition.defaultValue === 'number' ? definition.defaultValue : DEFAULT_LIST_SIZE;
    if (given.kind === Kind.INT) return Math.max(0, Number(given.value));
    return MAX_PAGE_SIZE;
  }
}

/**
 * Rejects operations deeper, with more aliases, or costlier than `limits` allow. Cost: each field
 * 1 plus its selection's cost, times the list size for list fields (the `first` of the field or of
 * its connection, else {@link DEFAULT_LIST_SIZE}). Aliases are counted as written, fragments
 * where they are spread (lists are the cost limit's business).
 */
export function operationLimitsRule(limits: OperationLimitsConfig): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const measurer = new OperationMeasurer(context);
    return {
      OperationDefinition(operation) {
        const { depth, aliases, cost } = measurer.measureOperation(operation);
        const label = operationLabel(operation);
        if (depth > limits.maxDepth) context.reportError(new GraphQLError(OperationLimitMessages.depth(label, depth, limits.maxDepth), { nodes: operation }));
        if (aliases > limits.maxAliases) context.reportError(new GraphQLError(OperationLimitMessages.aliases(label, aliases, limits.maxAliases), { nodes: operation }));
        if (cost > limits.maxCost) context.reportError(new GraphQLError(OperationLimitMessages.cost(label, cost, limits.maxCost), { nodes: operation }));
        return false;
      },
    };
  };
}

/**
 * Rejects a document with more than `max` directives in all, known or not: graphql-js would
 * otherwise check (and report on) each of thousands of repeated directives.
 */
export function directiveLimitRule(max: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    let count = 0;
    return {
      Directive() {
        count += 1;
      },
      Document: {
        leave() {
          if (count > max) context.reportError(new GraphQLError(OperationLimitMessages.directives(count, max)));
        },
      },
    };
  };
}

/** Options of {@link cradleValidationRules}. */
export interface CradleValidationOptions {
  readonly limits: OperationLimitsConfig;
  /** Whether `__schema` and `__type` may be queried (off in production). */
  readonly introspection: boolean;
}

/**
 * The validation rules Cradle adds to graphql-js's `specifiedRules`, the same for HTTP (Apollo's
 * `validationRules`) and WebSocket (graphql-ws `onSubscribe`), so both transports refuse the same
 * operations with the same messages.
 */
export function cradleValidationRules(options: CradleValidationOptions): readonly ValidationRule[] {
  return [
    directiveLimitRule(options.limits.maxDirectives),
    operationLimitsRule(options.limits),
    ...(options.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
}
