import { Kind, type OperationDefinitionNode, type SelectionNode } from 'graphql';
import { collectDefaultMetrics, Counter, Histogram, type Registry } from 'prom-client';

/** Which transport carried a GraphQL operation. */
export type OperationTransport = 'http' | 'ws';

/** The most distinct operation labels one server reports; later new ones are reported as `other`. */
export const MAX_OPERATION_NAMES = 200;

/** The longest operation label reported as itself, in characters. */
const MAX_OPERATION_NAME_LENGTH = 128;

/** GraphQL names joined with `+`, so a label value never carries spaces, quotes or other text. */
const ROOT_FIELDS_LABEL = /^[_A-Za-z][_0-9A-Za-z]*(\+[_A-Za-z][_0-9A-Za-z]*)*$/;

/** An error code as Cradle and Apollo write them (`BAD_USER_INPUT`); anything else is `other`. */
const ERROR_CODE = /^[A-Z][A-Z_]{0,47}$/;

/** The label value of an operation whose name is not reported (unvalidated, malformed, or past the cap). */
export const OTHER = 'other';

/** The label value of a valid operation that selects no root field directly (only fragment spreads). */
export const ANONYMOUS = 'anonymous';

/**
 * The operation labels one server reports. A client's operation name is free text it chooses (it
 * could name a patient), so it never reaches a label: an operation is labelled by the schema
 * fields it selects at its root (`patient`, `logMood`, `patientUpdates`; several sorted and joined
 * with `+`), which only validation-passing operations have and which the schema bounds. Only the
 * first {@link MAX_OPERATION_NAMES} distinct labels are kept (combinations of root fields could
 * otherwise multiply); everything else is `other`. Variables, ids and query text never reach a label.
 */
/**
 * The schema field names an operation selects at its root (aliases and arguments ignored; fields of
 * inline fragments at the root included), sorted, unique, joined with `+`.
 */
export function rootFieldsOf(operation: OperationDefinitionNode): string {
  const names = new Set<string>();
  const visit = (selections: readonly SelectionNode[]): void => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet.selections);
    }
  };
  visit(operation.selectionSet.selections);
  return [...names].sort().join('+');
}

export class OperationNames {
  private readonly known = new Set<string>();

  constructor(private readonly cap = MAX_OPERATION_NAMES) {}

  /** The label value for a validated operation: the schema fields it selects at its root. */
  labelOf(operation: OperationDefinitionNode): string {
    return this.label(rootFieldsOf(operation));
  }

  /** The label value for a root-field label (null when the operation selects no field directly). */
  label(name: string | null | undefined): string {
    if (name === null || name === undefined || name === '') return ANONYMOUS;
    if (name.length > MAX_OPERATION_NAME_LENGTH || !ROOT_FIELDS_LABEL.test(name)) return OTHER;
    if (this.known.has(name)) return name;
    if (this.known.size >= this.cap) return OTHER;
    this.known.add(name);
    return name;
  }
}

/** The label value for an error code: the code when it looks like one, `OK` for none, else `other`. */
export function codeLabel(code: unknown): string {
  if (code === null || code === undefined) return 'OK';
  return typeof code === 'string' && ERROR_CODE.test(code) ? code : OTHER;
}

/** One finished GraphQL operation as the metrics see it; every value is a bounded label. */
export interface OperationOutcome {
  readonly transport: OperationTransport;
  /** `query`, `mutation`, `subscription`, or `unknown` when the operation never resolved (parse or validation failure). */
  readonly operationType: string;
  /** From {@link OperationNames.label}. */
  readonly operationName: string;
  /** From {@link codeLabel}. */
  readonly code: string;
  /** Seconds from receipt to the result (for a subscription: to its start, or its refusal). */
  readonly durationSeconds: number;
}

/**
 * GraphQL request metrics of one server, on the server's own registry: a counter and a latency
 * histogram by transport, operation type, operation name and outcome code. A subscription counts
 * once, when it starts or is refused, never per event.
 */
export class RequestMetrics {
  private readonly requests: Counter<'transport' | 'operation_type' | 'operation' | 'code'>;
  private readonly duration: Histogram<'transport' | 'operation_type' | 'operation' | 'code'>;

  constructor(registry: Registry) {
    const labelNames = ['transport', 'operation_type', 'operation', 'code'] as const;
    this.requests = new Counter({
      name: 'cradle_graphql_requests_total',
      help: 'GraphQL operations answered, by transport, operation type, operation name and outcome code (OK or the error code).',
      labelNames,
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'cradle_graphql_request_duration_seconds',
      help: 'Seconds from receiving a GraphQL operation to its result (a subscription: to its start).',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }

  /** Counts one finished operation. */
  record(outcome: OperationOutcome): void {
    const labels = { transport: outcome.transport, operation_type: outcome.operationType, operation: outcome.operationName, code: outcome.code };
    this.requests.inc(labels);
    this.duration.observe(labels, outcome.durationSeconds);
  }
}

/**
 * Adds prom-client's process metrics (CPU, memory, event-loop lag, GC, handles; `process_*` and
 * `nodejs_*`) to a server's own registry, never to prom-client's global one, so two servers in one
 * process each report them without clashing. They describe the process, so both report the same
 * values.
 */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
}
