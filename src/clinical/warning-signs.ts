/**
 * The urgent maternal warning signs (CDC "Hear Her", AIM) that a mother or
 * caregiver can report at any time up to one year after birth. Any one is
 * urgent; together with raised blood pressure it is critical.
 *
 * @module
 */

/** Every urgent maternal warning sign, in the order the CDC lists them. */
export const WARNING_SIGNS = [
  'PERSISTENT_HEADACHE',
  'DIZZINESS_OR_FAINTING',
  'THOUGHTS_OF_HARM',
  'VISION_CHANGES',
  'FEVER',
  'EXTREME_SWELLING',
  'TROUBLE_BREATHING',
  'CHEST_PAIN_OR_FAST_HEARTBEAT',
  'SEVERE_BELLY_PAIN',
  'SEVERE_NAUSEA_OR_VOMITING',
  'HEAVY_BLEEDING_OR_DISCHARGE',
  'LEG_SWELLING_REDNESS_OR_PAIN',
  'OVERWHELMING_TIREDNESS',
] as const;

/** One urgent maternal warning sign. */
export type WarningSign = (typeof WARNING_SIGNS)[number];

/** A short plain-language description of each warning sign, for patients and clinicians. */
export const WARNING_SIGN_DESCRIPTIONS: Readonly<Record<WarningSign, string>> = Object.freeze({
  PERSISTENT_HEADACHE: "Headache that won't go away or gets worse",
  DIZZINESS_OR_FAINTING: 'Dizziness or fainting',
  THOUGHTS_OF_HARM: 'Thoughts of harming herself or her baby',
  VISION_CHANGES: 'Changes in vision',
  FEVER: 'Fever of 38.0 °C (100.4 °F) or higher',
  EXTREME_SWELLING: 'Extreme swelling of the hands or face',
  TROUBLE_BREATHING: 'Trouble breathing',
  CHEST_PAIN_OR_FAST_HEARTBEAT: 'Chest pain or a fast-beating heart',
  SEVERE_BELLY_PAIN: 'Severe belly pain',
  SEVERE_NAUSEA_OR_VOMITING: 'Severe nausea or vomiting',
  HEAVY_BLEEDING_OR_DISCHARGE: 'Heavy bleeding or foul-smelling discharge',
  LEG_SWELLING_REDNESS_OR_PAIN: 'Swelling, redness or pain of a leg',
  OVERWHELMING_TIREDNESS: 'Overwhelming tiredness',
});

const WARNING_SIGN_SET: ReadonlySet<string> = new Set(WARNING_SIGNS);

/** Whether a value (e.g. from client input) names a known {@link WarningSign}. */
export function isWarningSign(value: unknown): value is WarningSign {
  return typeof value === 'string' && WARNING_SIGN_SET.has(value);
}
