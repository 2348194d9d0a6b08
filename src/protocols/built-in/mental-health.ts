import type { BuiltInProtocol, ProtocolDefinition } from '../protocol.js';
import { chain, param, resolveParameters, rolesTier } from './built-in-support.js';

/**
 * Built-in protocols on screening questionnaires (CLINICAL.md "Screening instruments"): the
 * self-harm items of EPDS and PHQ-9, the EPDS depression bands and the worsening-trend rule.
 *
 * @module
 */

/** Immediate paging for a self-harm answer: mental health, then primary care, then both with the coordinator, three more rounds. */
const selfHarmEscalation = chain(
  [rolesTier(10, 'MENTAL_HEALTH_SPECIALIST'), rolesTier(10, 'PRIMARY_CARE_PROVIDER')],
  rolesTier(15, 'PRIMARY_CARE_PROVIDER', 'CARE_COORDINATOR'),
  3,
);

function selfHarmItem(key: string, instrument: 'EPDS' | 'PHQ9', itemNumber: number, guideline: string): BuiltInProtocol {
  const title = instrument === 'EPDS' ? 'EPDS' : 'PHQ-9';
  return {
    key,
    parameters: {},
    build: (): ProtocolDefinition => ({
      name: `${title} self-harm item (item ${itemNumber})`,
      description:
        `${title} item ${itemNumber} (thoughts of self-harm) scored above 0 prompts immediate suicide-risk assessment, whatever the total. ` +
        `A ${title} without item ${itemNumber} is never "no risk": it raises a critical "incomplete safety screen" alert.`,
      trigger: { type: 'ON_UPDATE', kinds: ['SCREENING'] },
      appliesWhen: `screening.instrument == "${instrument}"`,
      condition: `screening.items[${itemNumber - 1}] > 0`,
      severity: 'CRITICAL',
      actions: [
        { type: 'RAISE_ALERT', routeTo: ['MENTAL_HEALTH_SPECIALIST', 'PRIMARY_CARE_PROVIDER'] },
        { type: 'SEND_SAFETY_MESSAGE', template: 'CRISIS_LINE' },
        { type: 'CREATE_TASK', title: 'Immediate suicide-risk assessment', assignTo: 'MENTAL_HEALTH_SPECIALIST', dueInMinutes: 60 },
      ],
      escalation: selfHarmEscalation,
      onIncompleteData: 'RAISE_INCOMPLETE_DATA_ALERT',
      guideline,
    }),
  };
}

/** EPDS item 10 above 0: critical, immediate (ACOG perinatal mental health screening guidance). */
export const EPDS_SELF_HARM = selfHarmItem('epds-self-harm', 'EPDS', 10, 'ACOG perinatal mental health screening guidance (EPDS item 10 > 0); ACOG CPG No. 4 (2023)');

/** PHQ-9 item 9 above 0: critical, immediate. */
export const PHQ9_SELF_HARM = selfHarmItem('phq9-self-harm', 'PHQ9', 9, 'PHQ-9 item 9 > 0 prompts immediate risk assessment (Kroenke et al. 2001); LOINC 44260-8');

const EPDS_PROBABLE_PARAMETERS = {
  threshold: { value: 13, tighterWhen: 'LOWER', integer: true, min: 1, max: 30, description: 'EPDS total at or above which depression is probable.' },
} as const;

/** EPDS total ≥ 13: probable depression, assess (WARNING). */
export const EPDS_PROBABLE_DEPRESSION: BuiltInProtocol = {
  key: 'epds-probable-depression',
  parameters: EPDS_PROBABLE_PARAMETERS,
  build(given): ProtocolDefinition {
    const threshold = param(resolveParameters(EPDS_PROBABLE_PARAMETERS, given), 'threshold');
    return {
      name: 'EPDS probable depression',
      description: `EPDS total of ${threshold} or more: probable depression; arrange an assessment.`,
      trigger: { type: 'ON_UPDATE', kinds: ['SCREENING'] },
      appliesWhen: 'screening.instrument == "EPDS"',
      condition: `screening.total >= ${threshold}`,
      severity: 'WARNING',
      actions: [
        { type: 'RAISE_ALERT', routeTo: ['MENTAL_HEALTH_SPECIALIST', 'PRIMARY_CARE_PROVIDER'] },
        { type: 'CREATE_TASK', title: 'Assess for postpartum depression (EPDS probable band)', assignTo: 'MENTAL_HEALTH_SPECIALIST', dueInMinutes: 2 * 24 * 60 },
      ],
      escalation: chain([rolesTier(240, 'MENTAL_HEALTH_SPECIALIST')], rolesTier(480, 'PRIMARY_CARE_PROVIDER'), 0),
      onIncompleteData: 'RAISE_INCOMPLETE_DATA_ALERT',
      guideline: 'Cox et al. 1987; RCPsych guidance (EPDS >= 13)',
    };
  },
};

const EPDS_POSSIBLE_PARAMETERS = {
  threshold: { value: 10, tighterWhen: 'LOWER', integer: true, min: 1, max: 30, description: 'EPDS total at or above which depression is possible.' },
  below: { value: 13, tighterWhen: 'HIGHER', integer: true, min: 1, max: 31, description: 'Totals from here up belong to the probable band (its own protocol), so one screening raises one band alert.' },
} as const;

/** EPDS total 10–12: possible depression where more sensitivity is wanted (INFO). */
export const EPDS_POSSIBLE_DEPRESSION: BuiltInProtocol = {
  key: 'epds-possible-depression',
  parameters: EPDS_POSSIBLE_PARAMETERS,
  build(given): ProtocolDefinition {
    const values = resolveParameters(EPDS_POSSIBLE_PARAMETERS, given);
    const threshold = param(values, 'threshold');
    const below = param(values, 'below');
    return {
      name: 'EPDS possible depression',
      description: `EPDS total from ${threshold} to below ${below}: possible depression; review at the next contact.`,
      trigger: { type: 'ON_UPDATE', kinds: ['SCREENING'] },
      appliesWhen: 'screening.instrument == "EPDS"',
      condition: `screening.total >= ${threshold} && screening.total < ${below}`,
      severity: 'INFO',
      actions: [
        { type: 'RAISE_ALERT', routeTo: ['MENTAL_HEALTH_SPECIALIST'] },
        { type: 'CREATE_TASK', title: 'Review EPDS result (possible depression band)', assignTo: 'CARE_COORDINATOR', dueInMinutes: 7 * 24 * 60 },
      ],
      escalation: chain([rolesTier(24 * 60, 'MENTAL_HEALTH_SPECIALIST')], rolesTier(24 * 60, 'CARE_COORDINATOR'), 0),
      onIncompleteData: 'RAISE_INCOMPLETE_DATA_ALERT',
      guideline: 'Levis et al., BMJ 2020;371:m4022 (EPDS >= 10: sensitivity 0.85, specificity 0.84)',
    };
  },
};

const TREND_PARAMETERS = {
  rise: { value: 4, tighterWhen: 'LOWER', integer: true, min: 1, max: 30, description: 'Rise of the total (newest minus oldest screening of the same instrument in the window) that counts as worsening.' },
  windowDays: { value: 60, tighterWhen: 'HIGHER', integer: true, min: 1, max: 365, description: 'How many days back the screenings are compared.' },
} as const;

/**
 * A worsening screening trend: the total of the same instrument rose by `rise` or more from the
 * oldest to the newest screening within `windowDays` (a local choice, CLINICAL.md; configurable).
 * Applies only when there are two screenings of the instrument in the window.
 */
export const WORSENING_SCREENING_TREND: BuiltInProtocol = {
  key: 'worsening-screening-trend',
  parameters: TREND_PARAMETERS,
  build(given): ProtocolDefinition {
    const values = resolveParameters(TREND_PARAMETERS, given);
    const rise = param(values, 'rise');
    const windowDays = param(values, 'windowDays');
    const series = '"SCREENING:" + screening.instrument';
    return {
      name: 'Worsening screening trend',
      description: `The total of the same screening instrument rose by ${rise} or more within ${windowDays} days.`,
      trigger: { type: 'ON_UPDATE', kinds: ['SCREENING'] },
      appliesWhen: `count(${series}, days(${windowDays})) >= 2`,
      condition: `delta(${series}, "total", days(${windowDays})) >= ${rise}`,
      severity: 'WARNING',
      actions: [
        { type: 'RAISE_ALERT', routeTo: ['MENTAL_HEALTH_SPECIALIST'] },
        { type: 'CREATE_TASK', title: 'Review worsening screening trend', assignTo: 'MENTAL_HEALTH_SPECIALIST', dueInMinutes: 3 * 24 * 60 },
      ],
      escalation: chain([rolesTier(480, 'MENTAL_HEALTH_SPECIALIST')], rolesTier(24 * 60, 'PRIMARY_CARE_PROVIDER'), 0),
      onIncompleteData: 'RAISE_INCOMPLETE_DATA_ALERT',
      guideline: 'Local choice (CLINICAL.md: worsening-trend delta is not a published standard); EPDS/PHQ-9 serial screening per ACOG CPG No. 4',
    };
  },
};
