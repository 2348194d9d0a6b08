import type { ClinicalRole, StatusKind } from '../db/entities/index.js';
import { positionAt, type ConditionCompiler } from './condition-compiler.js';
import { defaultCompiler } from './default-compiler.js';
import {
  INCOMPLETE_DATA_POLICIES, SAFETY_MESSAGE_TEMPLATES, SEVERITIES, type DefinitionProblem, type EscalationTier, type ProtocolAction,
  type ProtocolDefinition,
} from './protocol.js';

/**
 * Save-time validation of a protocol definition: everything `evaluateProtocol` relies on. A
 * definition with any problem is stored nowhere (the resolver turns the first problem into
 * `BAD_USER_INPUT` with its `field`).
 *
 * @module
 */

/** Limits of a definition's fields. Inclusive. */
export const DEFINITION_LIMITS = Object.freeze({
  nameMaxLength: 120,
  descriptionMaxLength: 2000,
  guidelineMaxLength: 500,
  taskTitleMaxLength: 200,
  maxActions: 10,
  maxTiers: 5,
  maxTargetsPerTier: 20,
  /** Acknowledgement timeout, whole minutes. */
  ackTimeoutMinutes: { min: 1, max: 24 * 60 },
  /** Extra rounds of the whole chain. */
  repeat: { min: 0, max: 5 },
  /** Task due time after the match, whole minutes (at most 30 days). */
  taskDueMinutes: { min: 1, max: 30 * 24 * 60 },
  /** Schedule of SCHEDULED triggers, whole minutes (every 15 minutes to once a week). */
  scheduleMinutes: { min: 15, max: 7 * 24 * 60 },
});

/*
 * The kinds and roles, as records so the compiler checks they match the entity types exactly while
 * this pure module imports nothing from the ORM layer at run time.
 */
const KIND_SET: Readonly<Record<StatusKind, true>> = {
  MOOD: true, FEEDING: true, SLEEP: true, VITALS: true, INFANT_VITALS: true, SYMPTOMS: true, SCREENING: true,
};
const ROLE_SET: Readonly<Record<ClinicalRole, true>> = {
  PRIMARY_CARE_PROVIDER: true, MIDWIFE: true, LACTATION_CONSULTANT: true, MENTAL_HEALTH_SPECIALIST: true, CARE_COORDINATOR: true,
};
const STATUS_KINDS = Object.keys(KIND_SET) as StatusKind[];
const CLINICAL_ROLES = Object.keys(ROLE_SET) as ClinicalRole[];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isIntegerIn(value: unknown, range: { min: number; max: number }): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= range.min && value <= range.max;
}

function includes<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}

function checkText(problems: DefinitionProblem[], field: string, value: unknown, max: number, required: boolean): void {
  if (typeof value !== 'string') {
    problems.push({ field, message: `${field} must be text.` });
  } else if (required && value.trim().length === 0) {
    problems.push({ field, message: `${field} must not be empty.` });
  } else if (value.length > max) {
    problems.push({ field, message: `${field} must be at most ${max} characters.` });
  }
}

/** The fact objects filled by each kind of update. */
const KIND_OF_VARIABLE: Readonly<Record<string, StatusKind>> = {
  screening: 'SCREENING', vitals: 'VITALS', mood: 'MOOD', sleep: 'SLEEP', feeding: 'FEEDING', infantVitals: 'INFANT_VITALS', symptoms: 'SYMPTOMS',
};

/**
 * Facts the trigger can never provide (e.g. `vitals` in a rule on screenings, `update` in a scheduled
 * rule): reading them would make every evaluation INCOMPLETE, so it is a definition mistake.
 */
function unavailableVariables(variables: readonly string[], trigger: ProtocolDefinition['trigger'] | null): string[] {
  if (trigger?.type === 'SCHEDULED') return variables.filter((v) => v in KIND_OF_VARIABLE || v === 'update' || v === 'infant');
  if (trigger?.type !== 'ON_UPDATE' || !Array.isArray(trigger.kinds) || trigger.kinds.length === 0) return [];
  const kinds = trigger.kinds;
  return variables.filter((v) => {
    const kind = KIND_OF_VARIABLE[v];
    if (kind) return !kinds.includes(kind);
    return v === 'infant' && !kinds.includes('FEEDING') && !kinds.includes('INFANT_VITALS');
  });
}

function checkExpression(problems: DefinitionProblem[], field: string, text: unknown, compiler: ConditionCompiler, trigger: ProtocolDefinition['trigger'] | null): void {
  if (typeof text !== 'string') {
    problems.push({ field, message: `${field} must be a CEL expression.` });
    return;
  }
  const outcome = compiler.compile(text);
  if (!outcome.ok) {
    for (const p of outcome.problems) problems.push({ field, message: p.message, position: p.position });
    return;
  }
  if (!trigger) return;
  for (const variable of unavailableVariables(outcome.condition.variables, trigger)) {
    const offset = text.search(new RegExp(`\\b${variable}\\b`));
    problems.push({
      field,
      message: `'${variable}' is never present for this trigger (${trigger.type === 'SCHEDULED' ? 'a scheduled evaluation has no update' : `it fires on ${trigger.kinds.join(', ')}`}), so the rule could never be decided; use a window function or change the trigger.`,
      position: positionAt(text, Math.max(0, offset)),
    });
  }
}

function checkTrigger(problems: DefinitionProblem[], field: string, trigger: ProtocolDefinition['trigger'] | undefined): void {
  if (trigger?.type === 'ON_UPDATE') {
    const kinds: unknown = trigger.kinds;
    if (!Array.isArray(kinds) || kinds.length === 0) {
      problems.push({ field: `${field}.kinds`, message: 'An ON_UPDATE trigger must name at least one kind of update.' });
    } else if (kinds.some((k) => !includes(STATUS_KINDS, k))) {
      problems.push({ field: `${field}.kinds`, message: `Every kind must be one of ${STATUS_KINDS.join(', ')}.` });
    } else if (new Set(kinds).size !== kinds.length) {
      problems.push({ field: `${field}.kinds`, message: 'Each kind may be named once.' });
    }
  } else if (trigger?.type === 'SCHEDULED') {
    const { min, max } = DEFINITION_LIMITS.scheduleMinutes;
    if (!isIntegerIn(trigger.everyMinutes, DEFINITION_LIMITS.scheduleMinutes)) {
      problems.push({ field: `${field}.everyMinutes`, message: `A schedule must be whole minutes from ${min} to ${max}.` });
    }
  } else {
    problems.push({ field, message: 'The trigger must be ON_UPDATE (with kinds) or SCHEDULED (with everyMinutes).' });
  }
}

function checkAction(problems: DefinitionProblem[], field: string, action: ProtocolAction): void {
  switch (action?.type) {
    case 'RAISE_ALERT': {
      const roles: unknown = action.routeTo;
      if (!Array.isArray(roles) || roles.length === 0) {
        problems.push({ field: `${field}.routeTo`, message: 'An alert must be routed to at least one care-team role.' });
      } else if (roles.some((r) => !includes(CLINICAL_ROLES, r))) {
        problems.push({ field: `${field}.routeTo`, message: `Every role must be one of ${CLINICAL_ROLES.join(', ')}.` });
      }
      return;
    }
    case 'CREATE_TASK': {
      checkText(problems, `${field}.title`, action.title, DEFINITION_LIMITS.taskTitleMaxLength, true);
      if (!includes(CLINICAL_ROLES, action.assignTo)) {
        problems.push({ field: `${field}.assignTo`, message: `A task must be assigned to one of ${CLINICAL_ROLES.join(', ')}.` });
      }
      const { min, max } = DEFINITION_LIMITS.taskDueMinutes;
      if (!isIntegerIn(action.dueInMinutes, DEFINITION_LIMITS.taskDueMinutes)) {
        problems.push({ field: `${field}.dueInMinutes`, message: `A task's due time must be whole minutes from ${min} to ${max} after the match.` });
      }
      return;
    }
    case 'SEND_SAFETY_MESSAGE':
      if (!includes(SAFETY_MESSAGE_TEMPLATES, action.template)) {
        problems.push({ field: `${field}.template`, message: `The template must be one of ${SAFETY_MESSAGE_TEMPLATES.join(', ')}.` });
      }
      return;
    default:
      problems.push({ field, message: 'An action must be RAISE_ALERT, CREATE_TASK or SEND_SAFETY_MESSAGE.' });
  }
}

function checkTier(problems: DefinitionProblem[], field: string, tier: EscalationTier | null | undefined): void {
  if (!tier || typeof tier !== 'object') {
    problems.push({ field, message: `${field} is required.` });
    return;
  }
  const targets: unknown = tier.targets;
  if (!Array.isArray(targets) || targets.length === 0) {
    problems.push({ field: `${field}.targets`, message: 'A tier must page at least one role or user.' });
  } else if (targets.length > DEFINITION_LIMITS.maxTargetsPerTier) {
    problems.push({ field: `${field}.targets`, message: `A tier may page at most ${DEFINITION_LIMITS.maxTargetsPerTier} targets.` });
  } else {
    targets.forEach((target: EscalationTier['targets'][number], i) => {
      const ok = target?.type === 'ROLE' ? includes(CLINICAL_ROLES, target.role) : target?.type === 'USER' && typeof target.userId === 'string' && UUID.test(target.userId);
      if (!ok) problems.push({ field: `${field}.targets[${i}]`, message: `A target is a ROLE (one of ${CLINICAL_ROLES.join(', ')}) or a USER with a user id.` });
    });
  }
  const { min, max } = DEFINITION_LIMITS.ackTimeoutMinutes;
  if (!isIntegerIn(tier.ackTimeoutMinutes, DEFINITION_LIMITS.ackTimeoutMinutes)) {
    problems.push({ field: `${field}.ackTimeoutMinutes`, message: `The acknowledgement timeout must be whole minutes from ${min} to ${max}.` });
  }
}

function checkEscalation(problems: DefinitionProblem[], field: string, definition: ProtocolDefinition): void {
  const chain = definition.escalation;
  const raisesAlert = Array.isArray(definition.actions) && definition.actions.some((a) => a?.type === 'RAISE_ALERT');
  if (chain === null || chain === undefined) {
    if (definition.severity === 'CRITICAL') {
      problems.push({ field, message: 'A CRITICAL protocol needs an escalation chain, so somebody must acknowledge it.' });
    } else if (raisesAlert) {
      problems.push({ field, message: 'A protocol that raises an alert needs an escalation chain.' });
    }
    return;
  }
  const tiers: unknown = chain.tiers;
  if (!Array.isArray(tiers)) {
    problems.push({ field: `${field}.tiers`, message: 'The tiers must be a list (it may be empty: then only the fallback is paged).' });
  } else if (tiers.length > DEFINITION_LIMITS.maxTiers) {
    problems.push({ field: `${field}.tiers`, message: `An escalation chain may have at most ${DEFINITION_LIMITS.maxTiers} tiers before the fallback.` });
  } else {
    tiers.forEach((tier: EscalationTier, i) => checkTier(problems, `${field}.tiers[${i}]`, tier));
  }
  if (!chain.fallback) {
    problems.push({ field: `${field}.fallback`, message: 'An escalation chain needs a fallback tier (the on-call clinician) paged when every tier timed out.' });
  } else {
    checkTier(problems, `${field}.fallback`, chain.fallback);
  }
  const { min, max } = DEFINITION_LIMITS.repeat;
  if (!isIntegerIn(chain.repeat, DEFINITION_LIMITS.repeat)) {
    problems.push({ field: `${field}.repeat`, message: `repeat must be a whole number from ${min} to ${max}.` });
  }
}

/**
 * Every problem of a protocol definition, each with the input path at fault under `field` (e.g.
 * `input.condition` with the 1-based position of a CEL error, `input.escalation.tiers[0].ackTimeoutMinutes`).
 * Empty when the definition may be saved. Checks the CEL expressions (syntax, known facts and
 * functions, bool type, the cost limit of `condition-cost.ts`, no fact the trigger never provides),
 * the trigger, the actions, the
 * escalation chain (fallback required, timeouts and repeat in range, required for CRITICAL and for
 * alerting protocols) and the incomplete-data policy (`SKIP` refused for CRITICAL).
 */
export function validateDefinition(
  definition: ProtocolDefinition,
  field = 'input',
  compiler: ConditionCompiler = defaultCompiler(),
): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  checkText(problems, `${field}.name`, definition.name, DEFINITION_LIMITS.nameMaxLength, true);
  checkText(problems, `${field}.description`, definition.description, DEFINITION_LIMITS.descriptionMaxLength, false);
  if (definition.guideline !== null && definition.guideline !== undefined) {
    checkText(problems, `${field}.guideline`, definition.guideline, DEFINITION_LIMITS.guidelineMaxLength, true);
  }
  const before = problems.length;
  checkTrigger(problems, `${field}.trigger`, definition.trigger);
  // Which facts the trigger provides is only known for a valid trigger.
  const trigger = problems.length === before ? definition.trigger : null;
  if (definition.appliesWhen !== null && definition.appliesWhen !== undefined) {
    checkExpression(problems, `${field}.appliesWhen`, definition.appliesWhen, compiler, trigger);
  }
  checkExpression(problems, `${field}.condition`, definition.condition, compiler, trigger);
  if (!includes(SEVERITIES, definition.severity)) {
    problems.push({ field: `${field}.severity`, message: `The severity must be one of ${SEVERITIES.join(', ')}.` });
  }
  const actions: unknown = definition.actions;
  if (!Array.isArray(actions) || actions.length === 0) {
    problems.push({ field: `${field}.actions`, message: 'A protocol needs at least one action.' });
  } else if (actions.length > DEFINITION_LIMITS.maxActions) {
    problems.push({ field: `${field}.actions`, message: `A protocol may have at most ${DEFINITION_LIMITS.maxActions} actions.` });
  } else {
    actions.forEach((action: ProtocolAction, i) => checkAction(problems, `${field}.actions[${i}]`, action));
    if (actions.filter((a: ProtocolAction) => a?.type === 'RAISE_ALERT').length > 1) {
      problems.push({ field: `${field}.actions`, message: 'A protocol raises at most one alert (list every role in its routeTo).' });
    }
    if (definition.severity === 'CRITICAL' && !actions.some((a: ProtocolAction) => a?.type === 'RAISE_ALERT')) {
      problems.push({ field: `${field}.actions`, message: 'A CRITICAL protocol must raise an alert.' });
    }
  }
  checkEscalation(problems, `${field}.escalation`, definition);
  if (!includes(INCOMPLETE_DATA_POLICIES, definition.onIncompleteData)) {
    problems.push({ field: `${field}.onIncompleteData`, message: `onIncompleteData must be one of ${INCOMPLETE_DATA_POLICIES.join(', ')}.` });
  } else if (definition.onIncompleteData === 'SKIP' && definition.severity === 'CRITICAL') {
    problems.push({ field: `${field}.onIncompleteData`, message: 'A CRITICAL protocol cannot SKIP incomplete data: a missing fact must raise an alert or count as a match.' });
  }
  return problems;
}
