import {
  createSourceEventStream, execute, GraphQLError, parse, validate,
  type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema,
} from 'graphql';

/**
 * Parsed and validated documents by query text, so a thousand subscribers sending the same
 * subscription cost one parse and one validation. Bounded: the oldest entry goes first.
 */
export class DocumentCache {
  private readonly entries = new Map<string, DocumentNode | readonly GraphQLError[]>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly maxEntries = 500,
  ) {}

  /** The document of `query`, or the errors that make it unusable (syntax or validation). */
  prepare(query: string): DocumentNode | readonly GraphQLError[] {
    const cached = this.entries.get(query);
    if (cached) return cached;
    let entry: DocumentNode | readonly GraphQLError[];
    try {
      const document = parse(query);
      const errors = validate(this.schema, document);
      entry = errors.length > 0 ? errors : document;
    } catch (err) {
      entry = [err instanceof GraphQLError ? err : new GraphQLError(String(err))];
    }
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(query, entry);
    return entry;
  }

  /** Distinct documents held. */
  get size(): number {
    return this.entries.size;
  }
}

/** What {@link sharedResultSubscribe} needs from the context: the key of identical operations. */
export interface SharedResultContext {
  /**
   * Equal for operations whose result of one event is the same (the same document, operation name
   * and variables); the selection's resolvers must not depend on who subscribed.
   */
  readonly resultKey: string;
}

/** The key {@link sharedResultSubscribe} shares results under. */
export function resultKeyOf(query: string, operationName: string | null | undefined, variables: Readonly<Record<string, unknown>> | null | undefined): string {
  return `${operationName ?? ''}\u0000${variables ? JSON.stringify(variables) : ''}\u0000${query}`;
}

const sharedResults = new WeakMap<object, Map<string, ExecutionResult | Promise<ExecutionResult>>>();

/**
 * graphql-js `subscribe`, except that an event's result is executed once per distinct operation
 * (by {@link SharedResultContext.resultKey}) and the same result object is handed to every
 * subscriber in this process that asked the same thing. Who receives which event is decided before
 * this (by which patients' channels a subscription listens to), so sharing the result shares no
 * data across entitlements. Events must be objects; the cache lives as long as the event.
 */
export async function sharedResultSubscribe(args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return stream;
  const source = stream as AsyncIterator<object> & AsyncIterable<object>;
  const key = (args.contextValue as SharedResultContext).resultKey;
  const resultOf = (event: object): ExecutionResult | Promise<ExecutionResult> => {
    let byKey = sharedResults.get(event);
    if (!byKey) sharedResults.set(event, (byKey = new Map()));
    let result = byKey.get(key);
    if (!result) byKey.set(key, (result = execute({ ...args, rootValue: event })));
    return result;
  };
  const mapped: AsyncGenerator<ExecutionResult> = {
    async next() {
      const step = await source.next();
      return step.done ? { done: true, value: undefined } : { done: false, value: await resultOf(step.value) };
    },
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
    },
    async throw(err: unknown) {
      await source.return?.();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
    async [Symbol.asyncDispose]() {
      await source.return?.();
    },
  };
  return mapped;
}
