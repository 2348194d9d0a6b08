import type { BuiltInProtocol, ProtocolDefinition } from '../protocol.js';
import { celDouble, chain, param, resolveParameters, rolesTier } from './built-in-support.js';

/**
 * Built-in protocols on the infant (CLINICAL.md "Infant feeding and wellbeing"). Infant facts are
 * those of the infant the update was logged for; windows read only that infant's records.
 *
 * @module
 */

const feedingEscalation = chain([rolesTier(240, 'LACTATION_CONSULTANT')], rolesTier(480, 'PRIMARY_CARE_PROVIDER'), 0);

const DIAPER_PARAMETERS = {
  fromDay: { value: 5, tighterWhen: 'LOWER', integer: true, min: 0, max: 60, description: 'Infant age in days from which the diaper minimums apply.' },
  minWet: { value: 6, tighterWhen: 'HIGHER', integer: true, min: 1, max: 20, description: 'Fewest wet diapers per 24 hours.' },
  minDirty: { value: 2, tighterWhen: 'HIGHER', integer: true, min: 1, max: 20, description: 'Fewest dirty diapers per 24 hours.' },
} as const;

/**
 * From day 5, at least 6 wet and 2 dirty diapers per 24 hours (sums of the diaper counts logged in
 * the last 24 hours). Applies only once the family has been logging feeds for more than a day (a
 * feed logged 24–48 hours ago), so a partial first day is not read as low output.
 */
export const INFANT_DIAPER_OUTPUT: BuiltInProtocol = {
  key: 'infant-diaper-output',
  parameters: DIAPER_PARAMETERS,
  build(given): ProtocolDefinition {
    const values = resolveParameters(DIAPER_PARAMETERS, given);
    const fromDay = param(values, 'fromDay');
    const minWet = param(values, 'minWet');
    const minDirty = param(values, 'minDirty');
    return {
      name: 'Infant feeding red flag: diaper output',
      description: `From day ${fromDay}: fewer than ${minWet} wet or ${minDirty} dirty diapers in 24 hours. Review by a lactation consultant and GP.`,
      trigger: { type: 'ON_UPDATE', kinds: ['FEEDING'] },
      appliesWhen: 'count("FEEDING", hours(48)) > count("FEEDING", hours(24))',
      condition:
        `infant.ageDays >= ${fromDay} && ` +
        `(sum("FEEDING", "wetDiapers", hours(24)) < ${celDouble(minWet)} || sum("FEEDING", "dirtyDiapers", hours(24)) < ${celDouble(minDirty)})`,
      severity: 'WARNING',
      actions: [
        { type: 'RAISE_ALERT', routeTo: ['LACTATION_CONSULTANT', 'PRIMARY_CARE_PROVIDER'] },
        { type: 'CREATE_TASK', title: 'Feeding review: low diaper output', assignTo: 'LACTATION_CONSULTANT', dueInMinutes: 24 * 60 },
      ],
      escalation: feedingEscalation,
      onIncompleteData: 'RAISE_INCOMPLETE_DATA_ALERT',
      guideline: 'AAP; UK Breastfeeding Network (from day 5: >= 6 wet and >= 2 dirty diapers per 24 h)',
    };
  },
};

const WEIGHT_LOSS_PARAMETERS = {
  maxLossPercent: { value: 10, tighterWhen: 'LOWER', min: 1, max: 30, description: 'Weight loss from birth weight, in percent, above which the infant needs evaluation.' },
} as const;

/** Weight loss of more than 10 % of birth weight (strictly more), on each weighing. */
export const INFANT_WEIGHT_LOSS: BuiltInProtocol = {
  key: 'infant-weight-loss',
  parameters: WEIGHT_LOSS_PARAMETERS,
  build(given): ProtocolDefinition {
    const maxLoss = param(resolveParameters(WEIGHT_LOSS_PARAMETERS, given), 'maxLossPercent');
    return {
      name: 'Infant feeding red flag: weight loss',
      description: `The infant weighs more than ${maxLoss} % less than at birth.`,
      trigger: { type: 'ON_UPDATE', kinds: ['INFANT_VITALS'] },
      appliesWhen: 'has(infantVitals.weightGrams)',
      condition: `(infant.birthWeightGrams - infantVitals.weightGrams) * 100.0 / infant.birthWeightGrams > ${celDouble(maxLoss)}`,
      severity: 'WARNING',
      actions: [
        { type: 'RAISE_ALERT', routeTo: ['LACTATION_CONSULTANT', 'PRIMARY_CARE_PROVIDER'] },
        { type: 'CREATE_TASK', title: 'Evaluate infant weight loss', assignTo: 'PRIMARY_CARE_PROVIDER', dueInMinutes: 24 * 60 },
      ],
      escalation: feedingEscalation,
      onIncompleteData: 'RAISE_INCOMPLETE_DATA_ALERT',
      guideline: 'AAP (weight loss of more than 10 % of birth weight needs evaluation)',
    };
  },
};

const FEVER_PARAMETERS = {
  thresholdC: { value: 38.0, tighterWhen: 'LOWER', min: 37.0, max: 40.0, description: 'Temperature (°C) at or above which the infant has a fever.' },
  minAgeDays: { value: 8, tighterWhen: 'LOWER', integer: true, min: 0, max: 60, description: 'Youngest age in days the rule covers.' },
  maxAgeDays: { value: 60, tighterWhen: 'HIGHER', integer: true, min: 8, max: 365, description: 'Oldest age in days the rule covers.' },
} as const;

/** Fever ≥ 38.0 °C in an infant 8–60 days old (inclusive): critical, urgent evaluation. */
export const INFANT_FEVER: BuiltInProtocol = {
  key: 'infant-fever',
  parameters: FEVER_PARAMETERS,
  build(given): ProtocolDefinition {
    const values = resolveParameters(FEVER_PARAMETERS, given);
    const threshold = param(values, 'thresholdC');
    const minAge = param(values, 'minAgeDays');
    const maxAge = param(values, 'maxAgeDays');
    return {
      name: 'Infant fever',
      description: `Temperature of ${threshold} °C or more in an infant ${minAge}–${maxAge} days old: urgent evaluation.`,
      trigger: { type: 'ON_UPDATE', kinds: ['INFANT_VITALS'] },
      appliesWhen: 'has(infantVitals.temperatureC)',
      condition: `infantVitals.temperatureC >= ${celDouble(threshold)} && infant.ageDays >= ${minAge} && infant.ageDays <= ${maxAge}`,
      severity: 'CRITICAL',
      actions: [
        { type: 'RAISE_ALERT', routeTo: ['PRIMARY_CARE_PROVIDER', 'MIDWIFE'] },
        { type: 'SEND_SAFETY_MESSAGE', template: 'URGENT_CARE_ADVICE' },
      ],
      escalation: chain([rolesTier(10, 'PRIMARY_CARE_PROVIDER')], rolesTier(15, 'PRIMARY_CARE_PROVIDER', 'CARE_COORDINATOR'), 3),
      onIncompleteData: 'RAISE_INCOMPLETE_DATA_ALERT',
      guideline: 'AAP febrile infant guideline 2021 (>= 38.0 °C at 8–60 days)',
    };
  },
};
