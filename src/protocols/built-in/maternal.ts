import type { BuiltInProtocol, ProtocolDefinition } from '../protocol.js';
import { chain, param, resolveParameters, rolesTier } from './built-in-support.js';

/**
 * Built-in protocols on the mother's blood pressure and urgent warning signs (CLINICAL.md
 * "Maternal blood pressure" and "Urgent maternal warning signs").
 *
 * @module
 */

/** Midwife first, then the on-call primary care provider with the coordinator; three more rounds. */
const urgentMaternalEscalation = chain([rolesTier(10, 'MIDWIFE')], rolesTier(15, 'PRIMARY_CARE_PROVIDER', 'CARE_COORDINATOR'), 3);

/** Same-day review: midwife, then primary care. */
const sameDayMaternalEscalation = chain([rolesTier(120, 'MIDWIFE')], rolesTier(240, 'PRIMARY_CARE_PROVIDER'), 0);

const SEVERE_BP_PARAMETERS = {
  systolic: { value: 160, tighterWhen: 'LOWER', min: 100, max: 260, description: 'Systolic pressure (mmHg) at or above which hypertension is severe.' },
  diastolic: { value: 110, tighterWhen: 'LOWER', min: 60, max: 160, description: 'Diastolic pressure (mmHg) at or above which hypertension is severe.' },
} as const;

const BP_APPLIES = 'has(vitals.systolic) || has(vitals.diastolic)';

/**
 * Severe postpartum hypertension: systolic ≥ 160 **or** diastolic ≥ 110 mmHg, either alone
 * suffices (inclusive). A reading with one value below its threshold and the other missing is
 * INCOMPLETE (severe cannot be excluded), never "normal". A severe reading supersedes the
 * hypertension rule for the same update (one critical page, not a second same-day warning).
 */
export const SEVERE_BLOOD_PRESSURE: BuiltInProtocol = {
  key: 'severe-blood-pressure',
  parameters: SEVERE_BP_PARAMETERS,
  supersedes: ['postpartum-hypertension'],
  build(given): ProtocolDefinition {
    const values = resolveParameters(SEVERE_BP_PARAMETERS, given);
    const systolic = param(values, 'systolic');
    const diastolic = param(values, 'diastolic');
    return {
      name: 'Severe postpartum blood pressure',
      description: `Systolic ${systolic} mmHg or more, or diastolic ${diastolic} mmHg or more. Persisting 15 minutes or more: treat within 30–60 minutes.`,
      trigger: { type: 'ON_UPDATE', kinds: ['VITALS'] },
      appliesWhen: BP_APPLIES,
      condition: `vitals.systolic >= ${systolic} || vitals.diastolic >= ${diastolic}`,
      severity: 'CRITICAL',
      actions: [
        { type: 'RAISE_ALERT', routeTo: ['MIDWIFE', 'PRIMARY_CARE_PROVIDER'] },
        { type: 'SEND_SAFETY_MESSAGE', template: 'URGENT_CARE_ADVICE' },
        { type: 'CREATE_TASK', title: 'Confirm severe blood pressure and treat within 30–60 minutes if it persists', assignTo: 'PRIMARY_CARE_PROVIDER', dueInMinutes: 30 },
      ],
      escalation: urgentMaternalEscalation,
      onIncompleteData: 'RAISE_INCOMPLETE_DATA_ALERT',
      guideline: 'ACOG Committee Opinions 623 and 767 (>= 160 systolic or >= 110 diastolic mmHg)',
    };
  },
};

const HYPERTENSION_PARAMETERS = {
  systolic: { value: 140, tighterWhen: 'LOWER', min: 100, max: 260, description: 'Systolic pressure (mmHg) at or above which the mother is hypertensive.' },
  diastolic: { value: 90, tighterWhen: 'LOWER', min: 60, max: 160, description: 'Diastolic pressure (mmHg) at or above which the mother is hypertensive.' },
} as const;

/** Postpartum hypertension: systolic ≥ 140 or diastolic ≥ 90 mmHg; same-day clinical review. */
export const HYPERTENSION: BuiltInProtocol = {
  key: 'postpartum-hypertension',
  parameters: HYPERTENSION_PARAMETERS,
  build(given): ProtocolDefinition {
    const values = resolveParameters(HYPERTENSION_PARAMETERS, given);
    const systolic = param(values, 'systolic');
    const diastolic = param(values, 'diastolic');
    return {
      name: 'Postpartum hypertension',
      description: `Systolic ${systolic} mmHg or more, or diastolic ${diastolic} mmHg or more: same-day clinical review.`,
      trigger: { type: 'ON_UPDATE', kinds: ['VITALS'] },
      appliesWhen: BP_APPLIES,
      condition: `vitals.systolic >= ${systolic} || vitals.diastolic >= ${diastolic}`,
      severity: 'WARNING',
      actions: [
        { type: 'RAISE_ALERT', routeTo: ['MIDWIFE', 'PRIMARY_CARE_PROVIDER'] },
        { type: 'CREATE_TASK', title: 'Same-day blood pressure review', assignTo: 'MIDWIFE', dueInMinutes: 8 * 60 },
      ],
      escalation: sameDayMaternalEscalation,
      onIncompleteData: 'RAISE_INCOMPLETE_DATA_ALERT',
      guideline: 'ACOG Committee Opinions 623 and 767 (>= 140 systolic or >= 90 diastolic mmHg)',
    };
  },
};

/** Any urgent maternal warning sign (CDC "Hear Her", AIM): WARNING. */
export const MATERNAL_WARNING_SIGN: BuiltInProtocol = {
  key: 'maternal-warning-sign',
  parameters: {},
  build: (): ProtocolDefinition => ({
    name: 'Urgent maternal warning sign',
    description: 'The mother reported an urgent maternal warning sign (CDC "Hear Her").',
    trigger: { type: 'ON_UPDATE', kinds: ['SYMPTOMS'] },
    appliesWhen: null,
    condition: 'size(symptoms) > 0',
    severity: 'WARNING',
    actions: [
      { type: 'RAISE_ALERT', routeTo: ['MIDWIFE', 'PRIMARY_CARE_PROVIDER'] },
      { type: 'SEND_SAFETY_MESSAGE', template: 'URGENT_CARE_ADVICE' },
    ],
    escalation: chain([rolesTier(30, 'MIDWIFE')], rolesTier(60, 'PRIMARY_CARE_PROVIDER', 'CARE_COORDINATOR'), 1),
    onIncompleteData: 'RAISE_INCOMPLETE_DATA_ALERT',
    guideline: 'CDC "Hear Her" urgent maternal warning signs; AIM',
  }),
};

/** The warning sign "thoughts of harming herself or her baby": CRITICAL, with the crisis line. */
export const MATERNAL_SELF_HARM_SIGN: BuiltInProtocol = {
  key: 'maternal-self-harm-sign',
  parameters: {},
  build: (): ProtocolDefinition => ({
    name: 'Warning sign: thoughts of harm',
    description: 'The mother reported thoughts of harming herself or her baby: immediate risk assessment.',
    trigger: { type: 'ON_UPDATE', kinds: ['SYMPTOMS'] },
    appliesWhen: null,
    condition: '"THOUGHTS_OF_HARM" in symptoms',
    severity: 'CRITICAL',
    actions: [
      { type: 'RAISE_ALERT', routeTo: ['MENTAL_HEALTH_SPECIALIST', 'PRIMARY_CARE_PROVIDER'] },
      { type: 'SEND_SAFETY_MESSAGE', template: 'CRISIS_LINE' },
      { type: 'CREATE_TASK', title: 'Immediate risk assessment (thoughts of harm)', assignTo: 'MENTAL_HEALTH_SPECIALIST', dueInMinutes: 60 },
    ],
    escalation: chain(
      [rolesTier(10, 'MENTAL_HEALTH_SPECIALIST'), rolesTier(10, 'PRIMARY_CARE_PROVIDER')],
      rolesTier(15, 'PRIMARY_CARE_PROVIDER', 'CARE_COORDINATOR'),
      3,
    ),
    onIncompleteData: 'RAISE_INCOMPLETE_DATA_ALERT',
    guideline: 'CDC "Hear Her" (thoughts of harming herself or her baby); ACOG perinatal mental health guidance',
  }),
};

const SIGN_WITH_BP_PARAMETERS = {
  windowHours: { value: 24, tighterWhen: 'HIGHER', integer: true, min: 1, max: 168, description: 'Hours within which a warning sign and a raised pressure are taken together.' },
  systolic: { value: 140, tighterWhen: 'LOWER', min: 100, max: 260, description: 'Systolic pressure (mmHg) counted as raised.' },
  diastolic: { value: 90, tighterWhen: 'LOWER', min: 60, max: 160, description: 'Diastolic pressure (mmHg) counted as raised.' },
} as const;

/**
 * A warning sign together with raised blood pressure is critical (CLINICAL.md). Evaluated on both
 * symptoms and vitals: applies when both were logged within `windowHours`; matches when the highest
 * pressure in that window reached the hypertension thresholds.
 */
export const WARNING_SIGN_WITH_RAISED_BP: BuiltInProtocol = {
  key: 'warning-sign-with-raised-bp',
  parameters: SIGN_WITH_BP_PARAMETERS,
  build(given): ProtocolDefinition {
    const values = resolveParameters(SIGN_WITH_BP_PARAMETERS, given);
    const hours = param(values, 'windowHours');
    const systolic = param(values, 'systolic');
    const diastolic = param(values, 'diastolic');
    return {
      name: 'Warning sign with raised blood pressure',
      description: `An urgent maternal warning sign and a pressure of ${systolic}/${diastolic} mmHg or more within ${hours} hours.`,
      trigger: { type: 'ON_UPDATE', kinds: ['SYMPTOMS', 'VITALS'] },
      appliesWhen: `count("SYMPTOMS", hours(${hours})) > 0 && count("VITALS", hours(${hours})) > 0`,
      condition: `max("VITALS", "systolic", hours(${hours})) >= ${systolic} || max("VITALS", "diastolic", hours(${hours})) >= ${diastolic}`,
      severity: 'CRITICAL',
      actions: [
        { type: 'RAISE_ALERT', routeTo: ['MIDWIFE', 'PRIMARY_CARE_PROVIDER'] },
        { type: 'SEND_SAFETY_MESSAGE', template: 'URGENT_CARE_ADVICE' },
      ],
      escalation: urgentMaternalEscalation,
      onIncompleteData: 'RAISE_INCOMPLETE_DATA_ALERT',
      guideline: 'CDC "Hear Her"; AIM severe hypertension bundle (a warning sign with raised blood pressure is critical)',
    };
  },
};
