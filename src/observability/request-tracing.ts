import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { TracingConfig } from '../config.js';
import type { AppLogger } from '../logger.js';
import type { OperationOutcome } from './request-metrics.js';

/**
 * Longest one export may take, in milliseconds: a collector that does not answer delays shutdown
 * by at most this much (the SDK's default is 30 s), and its spans are dropped.
 */
const EXPORT_TIMEOUT_MS = 5000;

/**
 * OpenTelemetry tracing of one server: its own provider, exporting over OTLP/HTTP (JSON) to the
 * configured collector. The provider is never registered globally, so two servers in one process
 * keep separate pipelines and nothing else in the process is traced through it.
 */
export class RequestTracing {
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;

  constructor(
    config: TracingConfig,
    private readonly logger: AppLogger,
  ) {
    const exporter = new OTLPTraceExporter({ url: config.endpoint, headers: { ...config.headers }, timeoutMillis: EXPORT_TIMEOUT_MS });
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': config.serviceName }),
      sampler: new AlwaysOnSampler(),
      spanProcessors: [new BatchSpanProcessor({ exporter, exportTimeoutMillis: EXPORT_TIMEOUT_MS })],
    });
    this.tracer = this.provider.getTracer('cradle');
  }

  /**
   * Starts the span of one GraphQL operation, a root span (incoming trace context is not
   * continued). It carries no attribute yet: {@link endOperationSpan} adds the bounded ones.
   */
  startOperation(transport: OperationOutcome['transport']): Span {
    return this.tracer.startSpan('GraphQL Operation', { kind: SpanKind.SERVER, attributes: { 'cradle.transport': transport } }, ROOT_CONTEXT);
  }

  /** Exports every span still buffered (the close of the server waits for it). */
  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  /**
   * Exports what is buffered and stops the exporter. Never rejects: spans a collector does not
   * take within the export timeout are dropped with a warning, and shutdown goes on.
   */
  async shutdown(): Promise<void> {
    try {
      await this.provider.shutdown();
    } catch (err) {
      this.logger.warn({ err }, 'tracing: the last spans could not be exported at shutdown');
    }
  }
}

/**
 * Names and ends an operation's span with the same bounded values the metrics use: operation type
 * and root fields, and the outcome code (never the client's operation name, which is free text). Never the query text, variables, ids or an error message (a
 * validation message can quote a literal the client sent).
 */
export function endOperationSpan(span: Span, outcome: OperationOutcome): void {
  span.updateName(outcome.operationType === 'unknown' ? 'GraphQL Operation' : `${outcome.operationType} ${outcome.operationName}`);
  span.setAttributes({
    'graphql.operation.type': outcome.operationType,
    'cradle.graphql.root_fields': outcome.operationName,
    'cradle.graphql.code': outcome.code,
  });
  if (outcome.code !== 'OK') {
    span.setAttribute('error.type', outcome.code);
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
