import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Span } from '@opentelemetry/api';
import { getOperationAST, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { codeLabel, OperationNames, OTHER, type OperationTransport, type RequestMetrics } from './request-metrics.js';
import { endOperationSpan, type RequestTracing } from './request-tracing.js';

/** The outcome code of a WebSocket operation the client completed before its result. */
const CANCELLED = 'CANCELLED';

/**
 * One GraphQL operation being observed: its timer and span from receipt until it is answered.
 * Until {@link resolve} is called (the operation passed validation) its type is `unknown` and its
 * name `other`.
 */
export class ObservedOperation {
  private operationType = 'unknown';
  private operationName = OTHER;
  private finished = false;
  private readonly started = performance.now();

  constructor(
    private readonly transport: OperationTransport,
    private readonly names: OperationNames,
    private readonly metrics: RequestMetrics,
    private readonly span: Span | null,
  ) {}

  /** Records the validated operation's type and its bounded label (its root fields, never the client's name). */
  resolve(operation: OperationDefinitionNode): void {
    this.operationType = operation.operation;
    this.operationName = this.names.labelOf(operation);
  }

  /** Counts the operation once with its outcome (an error's `extensions.code`, or none for OK) and ends its span. */
  finish(code: unknown): void {
    if (this.finished) return;
    this.finished = true;
    const outcome = {
      transport: this.transport,
      operationType: this.operationType,
      operationName: this.operationName,
      code: codeLabel(code),
      durationSeconds: (performance.now() - this.started) / 1000,
    };
    this.metrics.record(outcome);
    if (this.span) endOperationSpan(this.span, outcome);
  }
}

/** The code of the first error of a result, if any (what an operation's outcome is counted as). */
function firstCode(errors: readonly { readonly extensions?: Readonly<Record<string, unknown>> | undefined }[] | null | undefined): unknown {
  return errors?.[0]?.extensions?.['code'];
}

/**
 * Request metrics and (when configured) tracing of one server's GraphQL operations over both
 * transports, with one bound on operation names for both.
 */
export class OperationTelemetry {
  private readonly names = new OperationNames();
  /** Operations on a WebSocket awaiting their outcome, per connection (graphql-ws's context) and operation id. */
  private readonly pending = new WeakMap<object, Map<string, ObservedOperation>>();

  constructor(
    private readonly metrics: RequestMetrics,
    private readonly tracing: RequestTracing | null,
  ) {}

  /** Starts observing an operation just received. */
  begin(transport: OperationTransport): ObservedOperation {
    return new ObservedOperation(transport, this.names, this.metrics, this.tracing?.startOperation(transport) ?? null);
  }

  /** The Apollo plugin that observes every HTTP operation from receipt to response. */
  apolloPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
    return {
      requestDidStart: async () => {
        const operation = this.begin('http');
        return {
          async didResolveOperation({ operation: resolved }) {
            if (resolved) operation.resolve(resolved);
          },
          async willSendResponse({ response }) {
            const body = response.body;
            operation.finish(firstCode(body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors));
          },
        };
      },
    };
  }

  /** graphql-ws `onSubscribe`: an operation arrived on a connection. */
  wsReceived(connection: object, id: string): void {
    let operations = this.pending.get(connection);
    if (!operations) this.pending.set(connection, (operations = new Map()));
    operations.get(id)?.finish(CANCELLED);
    operations.set(id, this.begin('ws'));
  }

  /** After `onSubscribe` validated the operation: its type and name. */
  wsValidated(connection: object, id: string, document: DocumentNode, operationName: string | null | undefined): void {
    const operation = getOperationAST(document, operationName);
    if (operation) this.pending.get(connection)?.get(id)?.resolve(operation);
  }

  /**
   * graphql-ws `onOperation`: a subscription whose source stream opened has started, and counts as
   * OK now (its events are not counted). Any other result is counted when it is sent.
   */
  wsExecuted(connection: object, id: string, result: unknown): void {
    if (result !== null && typeof result === 'object' && Symbol.asyncIterator in result) this.settle(connection, id, undefined);
  }

  /** graphql-ws `onNext` and `onError`: the result sent, with its (normalised) errors. */
  wsAnswered(connection: object, id: string, errors: readonly { readonly extensions?: Readonly<Record<string, unknown>> | undefined }[] | null | undefined): void {
    this.settle(connection, id, firstCode(errors));
  }

  /** graphql-ws `onComplete`: an operation not answered yet was completed by the client. */
  wsCompleted(connection: object, id: string): void {
    this.settle(connection, id, CANCELLED);
  }

  /** graphql-ws `onClose`: operations still unanswered on a closed connection count as cancelled. */
  wsClosed(connection: object): void {
    const operations = this.pending.get(connection);
    if (!operations) return;
    this.pending.delete(connection);
    for (const operation of operations.values()) operation.finish(CANCELLED);
  }

  private settle(connection: object, id: string, code: unknown): void {
    const operations = this.pending.get(connection);
    const operation = operations?.get(id);
    if (!operation) return;
    operations!.delete(id);
    operation.finish(code);
  }
}
