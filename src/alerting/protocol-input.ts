import { BadInputError } from '../errors.js';
import { validateDefinition } from '../protocols/definition-check.js';
import type {
  EscalationChain, EscalationTarget, EscalationTier, ProtocolAction, ProtocolDefinition, ProtocolTrigger,
} from '../protocols/protocol.js';
import type {
  EscalationChainInput, EscalationTierInput, ProtocolActionInput, ProtocolInput, ProtocolTriggerInput, UpdateProtocolInput,
} from '../schema/protocol/protocol.input.js';

/**
 * Turns GraphQL protocol inputs into the engine's `ProtocolDefinition` and validates it. Shapes the
 * GraphQL types cannot express (exactly one of two fields) are reported here with the input path;
 * everything else (CEL, escalation rules, ranges) by the engine's `validateDefinition`. Nothing is
 * stored unless this passes.
 */

function trigger(input: ProtocolTriggerInput, field: string): ProtocolTrigger {
  const hasKinds = input.kinds !== null && input.kinds !== undefined;
  const hasSchedule = input.everyMinutes !== null && input.everyMinutes !== undefined;
  if (hasKinds === hasSchedule) throw BadInputError.field(field, `${field} takes either kinds (on each update) or everyMinutes (scheduled), not both or neither.`);
  return hasKinds ? { type: 'ON_UPDATE', kinds: [...input.kinds!] } : { type: 'SCHEDULED', everyMinutes: input.everyMinutes! };
}

function target(input: { role?: string | null; userId?: string | null }, field: string): EscalationTarget {
  const hasRole = input.role !== null && input.role !== undefined;
  const hasUser = input.userId !== null && input.userId !== undefined;
  if (hasRole === hasUser) throw BadInputError.field(field, `${field} takes either a role or a userId.`);
  return hasRole ? ({ type: 'ROLE', role: input.role } as EscalationTarget) : { type: 'USER', userId: input.userId!.toLowerCase() };
}

function tier(input: EscalationTierInput, field: string): EscalationTier {
  return { targets: input.targets.map((t, i) => target(t, `${field}.targets[${i}]`)), ackTimeoutMinutes: input.ackTimeoutMinutes };
}

function chain(input: EscalationChainInput, field: string): EscalationChain {
  return {
    tiers: input.tiers.map((t, i) => tier(t, `${field}.tiers[${i}]`)),
    // A missing fallback is passed on as such, for validateDefinition to report with its field.
    fallback: (input.fallback ? tier(input.fallback, `${field}.fallback`) : null) as EscalationTier,
    repeat: input.repeat ?? 0,
  };
}

function action(input: ProtocolActionInput): ProtocolAction {
  switch (input.type) {
    case 'RAISE_ALERT':
      return { type: 'RAISE_ALERT', routeTo: [...(input.routeTo ?? [])] };
    case 'CREATE_TASK':
      return { type: 'CREATE_TASK', title: input.title ?? '', assignTo: input.assignTo!, dueInMinutes: input.dueInMinutes! };
    default:
      return { type: 'SEND_SAFETY_MESSAGE', template: input.template! };
  }
}

/** The definition a full protocol input describes (not yet validated). */
export function definitionFromInput(input: ProtocolInput, field = 'input'): ProtocolDefinition {
  return {
    name: input.name.trim(),
    description: (input.description ?? '').trim(),
    trigger: trigger(input.trigger, `${field}.trigger`),
    appliesWhen: input.appliesWhen ?? null,
    condition: input.condition,
    severity: input.severity,
    actions: input.actions.map(action),
    escalation: input.escalation ? chain(input.escalation, `${field}.escalation`) : null,
    onIncompleteData: input.onIncompleteData ?? 'RAISE_INCOMPLETE_DATA_ALERT',
    guideline: input.guideline?.trim() || null,
  };
}

/** The definition of a new version: the current one with the fields the update gives replaced. */
export function definitionFromUpdate(current: ProtocolDefinition, input: UpdateProtocolInput, field = 'input'): ProtocolDefinition {
  return {
    name: input.name?.trim() ?? current.name,
    description: input.description?.trim() ?? current.description,
    trigger: input.trigger ? trigger(input.trigger, `${field}.trigger`) : current.trigger,
    appliesWhen: input.appliesWhen !== undefined && input.appliesWhen !== null ? input.appliesWhen || null : current.appliesWhen,
    condition: input.condition ?? current.condition,
    severity: input.severity ?? current.severity,
    actions: input.actions ? input.actions.map(action) : current.actions,
    escalation: input.escalation ? chain(input.escalation, `${field}.escalation`) : current.escalation,
    onIncompleteData: input.onIncompleteData ?? current.onIncompleteData,
    guideline: input.guideline?.trim() || current.guideline,
  };
}

/** Throws BAD_USER_INPUT for the first problem of a definition (field and CEL position included). */
export function requireValidDefinition(definition: ProtocolDefinition, field = 'input'): ProtocolDefinition {
  const [problem] = validateDefinition(definition, field);
  if (problem) throw BadInputError.protocolDefinition(problem);
  return definition;
}

/** The user ids a definition's escalation chain names (they must be clinicians of the tenant). */
export function namedUsers(definition: ProtocolDefinition): string[] {
  const chainOf = definition.escalation;
  if (!chainOf) return [];
  const ids = new Set<string>();
  for (const t of [...chainOf.tiers, chainOf.fallback]) for (const target of t?.targets ?? []) if (target.type === 'USER') ids.add(target.userId);
  return [...ids];
}
