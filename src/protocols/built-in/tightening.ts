import { isMoreSevere, type BuiltInProtocol, type DefinitionProblem, type EscalationTarget, type EscalationTier, type ProtocolAction, type ProtocolDefinition } from '../protocol.js';

/**
 * The lock on built-in protocols: a coordinator may tighten a built-in (stricter parameters, higher
 * severity, faster or wider escalation, extra actions) but never loosen or disable it.
 *
 * @module
 */

function targetKey(target: EscalationTarget): string {
  return target.type === 'ROLE' ? `ROLE:${target.role}` : `USER:${target.userId}`;
}

function coversTargets(proposed: EscalationTier, baseline: EscalationTier): boolean {
  const keys = new Set(proposed.targets.map(targetKey));
  return baseline.targets.every((t) => keys.has(targetKey(t)));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether a proposed action keeps a baseline action: same kind, at least the same roles, no later due time. */
function covers(proposed: ProtocolAction, baseline: ProtocolAction): boolean {
  switch (baseline.type) {
    case 'RAISE_ALERT':
      return proposed.type === 'RAISE_ALERT' && baseline.routeTo.every((r) => proposed.routeTo.includes(r));
    case 'CREATE_TASK':
      return proposed.type === 'CREATE_TASK' && proposed.assignTo === baseline.assignTo && proposed.dueInMinutes <= baseline.dueInMinutes;
    case 'SEND_SAFETY_MESSAGE':
      return proposed.type === 'SEND_SAFETY_MESSAGE' && proposed.template === baseline.template;
  }
}

function describeAction(action: ProtocolAction): string {
  switch (action.type) {
    case 'RAISE_ALERT':
      return `RAISE_ALERT to ${action.routeTo.join(', ')}`;
    case 'CREATE_TASK':
      return `CREATE_TASK for ${action.assignTo} due in ${action.dueInMinutes} minutes`;
    case 'SEND_SAFETY_MESSAGE':
      return `SEND_SAFETY_MESSAGE ${action.template}`;
  }
}

function checkParameters(builtIn: BuiltInProtocol, parameters: Readonly<Record<string, number>>, field: string): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  for (const [key, value] of Object.entries(parameters)) {
    const declared = builtIn.parameters[key];
    const at = `${field}.parameters.${key}`;
    if (!declared) {
      const known = Object.keys(builtIn.parameters);
      problems.push({ field: at, message: `'${builtIn.key}' has no parameter '${key}'${known.length > 0 ? ` (it has ${known.join(', ')})` : ''}.` });
    } else if (typeof value !== 'number' || !Number.isFinite(value) || (declared.integer === true && !Number.isInteger(value))) {
      problems.push({ field: at, message: `${key} must be ${declared.integer === true ? 'a whole number' : 'a number'}.` });
    } else if ((declared.min !== undefined && value < declared.min) || (declared.max !== undefined && value > declared.max)) {
      problems.push({ field: at, message: `${key} must be from ${declared.min ?? '-∞'} to ${declared.max ?? '∞'}.` });
    } else if (declared.tighterWhen === 'LOWER' ? value > declared.value : value < declared.value) {
      problems.push({
        field: at,
        message: `${key} may only be made stricter: ${declared.tighterWhen === 'LOWER' ? 'at most' : 'at least'} the baseline ${declared.value}.`,
      });
    }
  }
  return problems;
}

function checkEscalation(proposed: ProtocolDefinition, baseline: ProtocolDefinition, field: string): DefinitionProblem[] {
  const base = baseline.escalation;
  if (!base) return [];
  const chain = proposed.escalation;
  if (!chain) return [{ field, message: 'The escalation chain of a built-in protocol cannot be removed.' }];
  const problems: DefinitionProblem[] = [];
  if (chain.tiers.length < base.tiers.length) {
    problems.push({ field: `${field}.tiers`, message: `A built-in escalation keeps at least its ${base.tiers.length} tier(s).` });
  }
  base.tiers.forEach((baseTier, i) => {
    const tier = chain.tiers[i];
    if (!tier) return;
    if (tier.ackTimeoutMinutes > baseTier.ackTimeoutMinutes) {
      problems.push({ field: `${field}.tiers[${i}].ackTimeoutMinutes`, message: `At most the baseline's ${baseTier.ackTimeoutMinutes} minutes.` });
    }
    if (!coversTargets(tier, baseTier)) {
      problems.push({ field: `${field}.tiers[${i}].targets`, message: 'A built-in tier keeps the targets of the baseline (others may be added).' });
    }
  });
  if (chain.fallback) {
    if (chain.fallback.ackTimeoutMinutes > base.fallback.ackTimeoutMinutes) {
      problems.push({ field: `${field}.fallback.ackTimeoutMinutes`, message: `At most the baseline's ${base.fallback.ackTimeoutMinutes} minutes.` });
    }
    if (!coversTargets(chain.fallback, base.fallback)) {
      problems.push({ field: `${field}.fallback.targets`, message: 'The fallback keeps the targets of the baseline (others may be added).' });
    }
  }
  const untilFallback = (tiers: readonly EscalationTier[]): number => tiers.reduce((sum, t) => sum + t.ackTimeoutMinutes, 0);
  if (chain.tiers.length >= base.tiers.length && untilFallback(chain.tiers) > untilFallback(base.tiers)) {
    problems.push({ field: `${field}.tiers`, message: `Added tiers may not delay the fallback: it is paged ${untilFallback(base.tiers)} minutes after the alert at the latest.` });
  }
  if (chain.repeat < base.repeat) problems.push({ field: `${field}.repeat`, message: `At least the baseline's ${base.repeat}.` });
  return problems;
}

/**
 * Problems with a coordinator's version of a built-in protocol, compared with the locked baseline
 * (`builtIn.build` of the defaults): a parameter moved in the looser direction (or out of its
 * range, or unknown), a lower severity, a changed condition, `appliesWhen` or trigger (except a
 * more frequent schedule), a removed or weakened action, a slower escalation (fewer tiers, a longer
 * timeout, dropped targets, a later fallback, fewer repeats), `SKIP` of incomplete data, or a
 * removed guideline. `proposed` must equal `builtIn.build(parameters)` in its condition and
 * `appliesWhen`, so parameters are the only way to change what the rule tests. Run
 * `validateDefinition` first: this assumes a well-formed definition and checks only the lock.
 */
export function checkTightening(
  builtIn: BuiltInProtocol,
  parameters: Record<string, number>,
  proposed: ProtocolDefinition,
  field = 'input',
): DefinitionProblem[] {
  const problems = checkParameters(builtIn, parameters, field);
  const baseline = builtIn.build({});
  const expected = builtIn.build(parameters);
  if (isMoreSevere(baseline.severity, proposed.severity)) {
    problems.push({ field: `${field}.severity`, message: `The severity of '${builtIn.key}' may not be lowered below ${baseline.severity}.` });
  }
  if (proposed.condition !== expected.condition) {
    problems.push({ field: `${field}.condition`, message: 'The condition of a built-in protocol is fixed; change its parameters instead.' });
  }
  if (proposed.appliesWhen !== expected.appliesWhen) {
    problems.push({ field: `${field}.appliesWhen`, message: 'appliesWhen of a built-in protocol is fixed; change its parameters instead.' });
  }
  const fasterSchedule =
    proposed.trigger.type === 'SCHEDULED' && baseline.trigger.type === 'SCHEDULED' && proposed.trigger.everyMinutes <= baseline.trigger.everyMinutes;
  if (!sameJson(proposed.trigger, baseline.trigger) && !fasterSchedule) {
    problems.push({ field: `${field}.trigger`, message: 'The trigger of a built-in protocol is fixed (a scheduled rule may only run more often).' });
  }
  baseline.actions.forEach((action) => {
    if (!proposed.actions.some((p) => covers(p, action))) {
      problems.push({ field: `${field}.actions`, message: `The built-in action ${describeAction(action)} cannot be removed or weakened.` });
    }
  });
  problems.push(...checkEscalation(proposed, baseline, `${field}.escalation`));
  if (proposed.onIncompleteData === 'SKIP' && baseline.onIncompleteData !== 'SKIP') {
    problems.push({ field: `${field}.onIncompleteData`, message: 'A built-in protocol cannot skip incomplete data.' });
  }
  if (baseline.guideline !== null && (proposed.guideline === null || proposed.guideline.trim() === '')) {
    problems.push({ field: `${field}.guideline`, message: 'The guideline citation of a built-in protocol cannot be removed.' });
  }
  return problems;
}
