import type {
  EscalationChainInput,
  EscalationTierInput,
  IncompleteDataPolicy,
  ProtocolActionInput,
  ProtocolInput,
  ProtocolTriggerInput,
  Severity,
} from '../../graphql/graphql.js';

/** The parts of a stored protocol version a draft is built from (as `ProtocolVersion` returns them). */
export interface VersionDefinition {
  readonly name: string;
  readonly description: string;
  readonly trigger: Record<string, unknown>;
  readonly appliesWhen?: string | null;
  readonly condition: string;
  readonly severity: Severity;
  readonly actions: unknown;
  readonly escalation?: Record<string, unknown> | null;
  readonly onIncompleteData: IncompleteDataPolicy;
  readonly guideline?: string | null;
}

const record = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** `{ type: ON_UPDATE, kinds }` or `{ type: SCHEDULED, everyMinutes }` as the input takes it. */
function triggerInput(trigger: Record<string, unknown>): ProtocolTriggerInput {
  return trigger['type'] === 'SCHEDULED' ? { everyMinutes: Number(trigger['everyMinutes']) } : { kinds: list(trigger['kinds']) as ProtocolTriggerInput['kinds'] };
}

/** One stored action with the fields `ProtocolActionInput` has (the server adds nothing else). */
function actionInput(stored: unknown): ProtocolActionInput {
  const action = record(stored);
  const input: Record<string, unknown> = { type: action['type'] };
  for (const key of ['routeTo', 'title', 'assignTo', 'dueInMinutes', 'template']) if (action[key] !== undefined) input[key] = action[key];
  return input as unknown as ProtocolActionInput;
}

/** A stored tier (`targets` carry a `type` the input does not take). */
function tierInput(stored: unknown): EscalationTierInput {
  const tier = record(stored);
  return {
    ackTimeoutMinutes: Number(tier['ackTimeoutMinutes']),
    targets: list(tier['targets']).map((target) => {
      const t = record(target);
      return t['userId'] !== undefined ? { userId: String(t['userId']) } : { role: t['role'] as EscalationTierInput['targets'][number]['role'] };
    }),
  };
}

function escalationInput(stored: Record<string, unknown> | null | undefined): EscalationChainInput | null {
  if (!stored) return null;
  return {
    tiers: list(stored['tiers']).map(tierInput),
    fallback: stored['fallback'] ? tierInput(stored['fallback']) : null,
    repeat: Number(stored['repeat'] ?? 0),
  };
}

/**
 * A whole protocol definition for `simulateProtocol`: the stored version as it is, with the
 * condition being edited in place of its own. The server checks it; this only reshapes.
 */
export function draftInput(version: VersionDefinition, condition: string): ProtocolInput {
  return {
    name: version.name,
    description: version.description,
    trigger: triggerInput(version.trigger),
    appliesWhen: version.appliesWhen ?? null,
    condition,
    severity: version.severity,
    actions: list(version.actions).map(actionInput),
    escalation: escalationInput(version.escalation),
    onIncompleteData: version.onIncompleteData,
    guideline: version.guideline ?? null,
  };
}
