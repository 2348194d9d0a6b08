import { GraphQLError, parse, specifiedRules, validate, type ExecutionArgs, type GraphQLSchema, type ValidationRule } from 'graphql';

/** What a client asks to run: a graphql-ws `subscribe` payload (the same shape as an HTTP body). */
export interface OperationRequest {
  readonly query: string;
  readonly operationName?: string | null;
  readonly variables?: Readonly<Record<string, unknown>> | null;
}

/** Gives a graphql-js error the code Apollo gives it over HTTP, keeping its locations. */
function withCode(error: GraphQLError, code: 'GRAPHQL_PARSE_FAILED' | 'GRAPHQL_VALIDATION_FAILED'): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error,
    extensions: { ...error.extensions, code },
  });
}

/**
 * Parses and validates an operation the way Apollo does over HTTP: graphql-js's `specifiedRules`
 * plus `rules` (Cradle's limits and, in production, no introspection). Returns the execution
 * arguments without context (graphql-ws adds it), or the errors with the codes Apollo would give
 * them (`GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`), ready for the error normaliser.
 */
export function prepareOperation(
  schema: GraphQLSchema,
  request: OperationRequest,
  rules: readonly ValidationRule[],
): Omit<ExecutionArgs, 'contextValue'> | GraphQLError[] {
  let document;
  try {
    document = parse(request.query);
  } catch (err) {
    if (err instanceof GraphQLError) return [withCode(err, 'GRAPHQL_PARSE_FAILED')];
    throw err;
  }
  const errors = validate(schema, document, [...specifiedRules, ...rules]);
  if (errors.length > 0) return errors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
  return {
    schema,
    document,
    operationName: request.operationName ?? null,
    variableValues: (request.variables ?? null) as ExecutionArgs['variableValues'],
  };
}
