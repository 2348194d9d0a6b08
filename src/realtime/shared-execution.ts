import { createSourceEventStream, execute, print, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { auditEntriesFor, PhiAccessRecorder, type PatientAccessSummary } from '../audit/phi-access-recorder.js';
import type { PatientGrant } from '../auth/patient-grants.js';
import type { RequestContext } from '../context.js';
import type { LiveMetrics } from './live-metrics.js';
import { StatusUpdateView } from '../schema/status/status-update.type.js';

/**
 * What a subscription event's result can depend on besides the event itself: the operation and
 * its variables (the subscription's operation key), and the subscriber's role, tenant and grant
 * for the event's patient (its grant key; field-level `@auth` rules and resolvers read nothing
 * else). Subscribers with the same operation and grant key get the same result, so it is computed
 * once per event for all of them. Returns the grant key, or null when there is none to share.
 */
function grantKeyOf(ctx: RequestContext, view: StatusUpdateView): string | null {
  const actor = ctx.access.actor;
  const grant = ctx.access.knownGrant(view.patientId);
  if (!actor || !grant) return null;
  let key = GRANT_KEYS.get(grant);
  if (key === undefined) {
    key = `${actor.role}\u0000${actor.tenantId}\u0000${grant.relation}\u0000${[...grant.categories].sort().join(',')}`;
    GRANT_KEYS.set(grant, key);
  }
  return key;
}

/**
 * The grant key per grant object (grants are replaced, never changed in place, and one grant
 * belongs to one caller, so its role and tenant are fixed too): built once per subscriber and
 * patient instead of once per event, and the same string object every time, so the maps below
 * hash it once.
 */
const GRANT_KEYS = new WeakMap<PatientGrant, string>();

/** One execution of an event: its result and the PHI it carried (audited for each subscriber it reaches). */
interface EventExecution {
  readonly result: ExecutionResult;
  readonly accesses: readonly PatientAccessSummary[];
}

/**
 * Results per event view (the object shared by every subscriber of one event), per operation key,
 * per grant key: looked up with strings built once per subscription and per grant, never
 * concatenated per subscriber and event.
 */
type ResultCache = WeakMap<StatusUpdateView, Map<string, Map<string, Promise<EventExecution>>>>;

/**
 * Audits one delivered event as a READ by this subscriber of the fields it carried (plus anything
 * refused meanwhile), and waits until the records are durable, before the event is handed over.
 * The records are appended together (so their sequence numbers are consecutive), and each access
 * record carries the event's number on the subscription (`details.liveEvent`, set only here): the
 * compliance monitor relies on both to count a delivery's patients without reading the trail.
 */
async function auditDelivery(ctx: RequestContext, execution: EventExecution, eventNumber: number): Promise<void> {
  const actor = ctx.access.actor;
  const stray = ctx.phiAccess.isEmpty ? null : ctx.phiAccess.take();
  if (!actor) return;
  const origin = { requestId: `${ctx.requestId}#${eventNumber}`, clientIp: ctx.clientIp, userAgent: ctx.userAgent };
  const accesses = stray ? [...execution.accesses, ...stray.accesses] : execution.accesses;
  await ctx.services.audit.append(auditEntriesFor(actor, origin, accesses, stray?.events, { liveEvent: eventNumber }));
}

async function* mapEvents(
  source: AsyncIterable<unknown>,
  args: ExecutionArgs,
  cache: ResultCache,
  metrics: LiveMetrics,
): AsyncGenerator<ExecutionResult> {
  const ctx = args.contextValue as RequestContext;
  const operationKey = `${args.operationName ?? ''}\u0000${print(args.document)}\u0000${JSON.stringify(args.variableValues ?? {})}`;
  // Each execution collects into its own recorder (it may serve several subscribers).
  const run = async (payload: unknown): Promise<EventExecution> => {
    metrics.liveExecutions.inc();
    const recorder = new PhiAccessRecorder();
    // The subscriber's context with this execution's recorder in front (not a copy: a copy would
    // read every lazy member, such as the sign-in EntityManager, that the execution never uses).
    const contextValue: RequestContext = Object.create(ctx, { phiAccess: { value: recorder, enumerable: true } });
    const result = await execute({ ...args, rootValue: payload, contextValue });
    return { result, accesses: recorder.take().accesses };
  };
  let eventNumber = 0;
  for await (const payload of source) {
    eventNumber += 1;
    const view = (payload as { update?: unknown } | null)?.update;
    const grantKey = view instanceof StatusUpdateView ? grantKeyOf(ctx, view) : null;
    if (!grantKey || !(view instanceof StatusUpdateView)) {
      const execution = await run(payload);
      await auditDelivery(ctx, execution, eventNumber);
      yield execution.result;
      continue;
    }
    let byOperation = cache.get(view);
    if (!byOperation) cache.set(view, (byOperation = new Map()));
    let byGrant = byOperation.get(operationKey);
    if (!byGrant) byOperation.set(operationKey, (byGrant = new Map()));
    let execution = byGrant.get(grantKey);
    if (!execution) {
      execution = run(payload);
      byGrant.set(grantKey, execution);
    }
    const done = await execution;
    await auditDelivery(ctx, done, eventNumber);
    yield done.result;
  }
}

/**
 * graphql-ws's `execute` for queries and mutations over a WebSocket: like graphql-js's, then the
 * operation's audit records are written before the result is sent.
 */
export async function auditedExecute(args: ExecutionArgs): Promise<ExecutionResult> {
  const result = await execute(args);
  const ctx = args.contextValue as RequestContext;
  await ctx.phiAccess.flush(ctx.services.audit, ctx.access.actor, { requestId: ctx.requestId, clientIp: ctx.clientIp, userAgent: ctx.userAgent });
  return result;
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
