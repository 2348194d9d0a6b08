import {
  GraphQLError,
  getOperationAST,
  getVariableValues,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import type { ValidatedDocumentCache } from './document-cache.js';

/** What a client asks to run: a graphql-ws `subscribe` payload (the same shape as an HTTP body). */
export interface OperationRequest {
  readonly query: string;
  readonly operationName?: string | null;
  readonly variables?: Readonly<Record<string, unknown>> | null;
}

/** The codes Apollo gives, over HTTP, to the errors {@link prepareOperation} can find. */
type PreparationCode = 'GRAPHQL_PARSE_FAILED' | 'GRAPHQL_VALIDATION_FAILED' | 'OPERATION_RESOLUTION_FAILURE' | 'BAD_USER_INPUT';

/** Gives a graphql-js error the code Apollo gives it over HTTP, keeping its locations. */
function withCode(error: GraphQLError, code: PreparationCode): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error,
    extensions: { ...error.extensions, code },
  });
}

/**
 * The operation the request names, or the error graphql-js's `execute` would give (in its words,
 * so both transports say the same): several operations and no `operationName`, or a name the
 * document does not contain.
 */
function resolveOperation(document: DocumentNode, operationName: string | null): OperationDefinitionNode | GraphQLError {
  const operation = getOperationAST(document, operationName);
  if (operation) return operation;
  if (operationName) return new GraphQLError(`Unknown operation named "${operationName}".`);
  const count = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length;
  return new GraphQLError(count > 1 ? 'Must provide operation name if query contains multiple operations.' : 'Must provide an operation.');
}

/**
 * Parses and validates an operation the way Apollo does over HTTP: graphql-js's `specifiedRules`
 * plus `rules` (Cradle's limits and, in production, no introspection); then resolves the operation
 * to run and coerces its variables, as execution would. Returns the execution arguments without
 * context (graphql-ws adds it), or the errors with the codes Apollo would give them
 * (`GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`, `OPERATION_RESOLUTION_FAILURE`,
 * `BAD_USER_INPUT`), ready for the error normaliser: a client mistake never reaches execution,
 * where graphql-js would report it without a code.
 *
 * With `cache` (built for this `schema` and these `rules`), a query text that already passed
 * parsing and validation reuses its document; the operation and variables are still checked for
 * every request, and only documents that pass validation are kept.
 */
export function prepareOperation(
  schema: GraphQLSchema,
  request: OperationRequest,
  rules: readonly ValidationRule[],
  cache?: ValidatedDocumentCache,
): Omit<ExecutionArgs, 'contextValue'> | GraphQLError[] {
  let document = cache?.get(request.query);
  if (document === undefined) {
    try {
      document = parse(request.query);
    } catch (err) {
      if (err instanceof GraphQLError) return [withCode(err, 'GRAPHQL_PARSE_FAILED')];
      throw err;
    }
    const errors = validate(schema, document, [...specifiedRules, ...rules]);
    if (errors.length > 0) return errors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
    cache?.set(request.query, document);
  }
  const operationName = request.operationName ?? null;
  const operation = resolveOperation(document, operationName);
  if (operation instanceof GraphQLError) return [withCode(operation, 'OPERATION_RESOLUTION_FAILURE')];
  const variables = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}, { maxErrors: 50 });
  if (variables.errors) return variables.errors.map((e) => withCode(e, 'BAD_USER_INPUT'));
  return {
    schema,
    document,
    operationName,
    variableValues: (request.variables ?? null) as ExecutionArgs['variableValues'],
  };
}
