import { createSourceEventStream, execute, print, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { RequestContext } from '../context.js';
import type { LiveMetrics } from './live-metrics.js';
import { StatusUpdateView } from '../schema/status/status-update.type.js';

/**
 * What a subscription event's result can depend on besides the event itself: the operation and
 * its variables, and the subscriber's role, tenant and grant for the event's patient (field-level
 * `@auth` rules and resolvers read nothing else). Subscribers with the same signature get the same
 * result, so it is computed once per event for all of them.
 */
function signatureOf(ctx: RequestContext, operationKey: string, view: StatusUpdateView): string | null {
  const actor = ctx.access.actor;
  const grant = ctx.access.knownGrant(view.patientId);
  if (!actor || !grant) return null;
  return `${operationKey}\u0000${actor.role}\u0000${actor.tenantId}\u0000${grant.relation}\u0000${[...grant.categories].sort().join(',')}`;
}

/** Results per event view (the object shared by every subscriber of one event), per signature. */
type ResultCache = WeakMap<StatusUpdateView, Map<string, Promise<ExecutionResult>>>;

async function* mapEvents(
  source: AsyncIterable<unknown>,
  args: ExecutionArgs,
  cache: ResultCache,
  metrics: LiveMetrics,
): AsyncGenerator<ExecutionResult> {
  const ctx = args.contextValue as RequestContext;
  const operationKey = `${args.operationName ?? ''}\u0000${print(args.document)}\u0000${JSON.stringify(args.variableValues ?? {})}`;
  const run = (payload: unknown) => {
    metrics.liveExecutions.inc();
    return Promise.resolve(execute({ ...args, rootValue: payload }));
  };
  for await (const payload of source) {
    const view = (payload as { update?: unknown } | null)?.update;
    const signature = view instanceof StatusUpdateView ? signatureOf(ctx, operationKey, view) : null;
    if (!signature || !(view instanceof StatusUpdateView)) {
      yield await run(payload);
      continue;
    }
    let results = cache.get(view);
    if (!results) {
      results = new Map();
      cache.set(view, results);
    }
    let result = results.get(signature);
    if (!result) {
      result = run(payload);
      results.set(signature, result);
    }
    yield await result;
  }
}

/**
 * graphql-ws's `subscribe`, executing each live event once per distinct subscriber signature
 * instead of once per subscriber (graphql-js's own `subscribe` executes per subscriber). Results
 * are kept in a WeakMap keyed by the event's shared view, so they go when the event does.
 */
export function createSharedSubscribe(metrics: LiveMetrics): (args: ExecutionArgs) => Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  const cache: ResultCache = new WeakMap();
  return async (args) => {
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in Object(source))) return source as ExecutionResult;
    const iterable = source as AsyncIterable<unknown> & { return?: () => Promise<unknown> };
    const mapped = mapEvents(iterable, args, cache, metrics);
    // Ending the mapped stream must end the source (the live subscription) too.
    const originalReturn = mapped.return.bind(mapped);
    mapped.return = async (value) => {
      await iterable.return?.();
      return originalReturn(value);
    };
    return mapped;
  };
}
