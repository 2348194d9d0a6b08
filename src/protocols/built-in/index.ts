import type { BuiltInProtocol } from '../protocol.js';
import { MISSED_CHECK_IN } from './check-in.js';
import { INFANT_DIAPER_OUTPUT, INFANT_FEVER, INFANT_WEIGHT_LOSS } from './infant.js';
import { HYPERTENSION, MATERNAL_SELF_HARM_SIGN, MATERNAL_WARNING_SIGN, SEVERE_BLOOD_PRESSURE, WARNING_SIGN_WITH_RAISED_BP } from './maternal.js';
import { EPDS_POSSIBLE_DEPRESSION, EPDS_PROBABLE_DEPRESSION, EPDS_SELF_HARM, PHQ9_SELF_HARM, WORSENING_SCREENING_TREND } from './mental-health.js';

export { checkTightening } from './tightening.js';
export {
  EPDS_POSSIBLE_DEPRESSION, EPDS_PROBABLE_DEPRESSION, EPDS_SELF_HARM, HYPERTENSION, INFANT_DIAPER_OUTPUT, INFANT_FEVER, INFANT_WEIGHT_LOSS,
  MATERNAL_SELF_HARM_SIGN, MATERNAL_WARNING_SIGN, MISSED_CHECK_IN, PHQ9_SELF_HARM, SEVERE_BLOOD_PRESSURE, WARNING_SIGN_WITH_RAISED_BP,
  WORSENING_SCREENING_TREND,
};

/**
 * The built-in protocol library (CLINICAL.md), installed for every tenant as locked baselines.
 * Keys are stable: the alerting service stores versions under them.
 */
export const BUILT_IN_PROTOCOLS: readonly BuiltInProtocol[] = Object.freeze([
  EPDS_SELF_HARM,
  PHQ9_SELF_HARM,
  EPDS_PROBABLE_DEPRESSION,
  EPDS_POSSIBLE_DEPRESSION,
  WORSENING_SCREENING_TREND,
  SEVERE_BLOOD_PRESSURE,
  HYPERTENSION,
  MATERNAL_WARNING_SIGN,
  MATERNAL_SELF_HARM_SIGN,
  WARNING_SIGN_WITH_RAISED_BP,
  INFANT_DIAPER_OUTPUT,
  INFANT_WEIGHT_LOSS,
  INFANT_FEVER,
  MISSED_CHECK_IN,
]);

/** The built-in protocol with `key`, or undefined. */
export function builtInProtocol(key: string): BuiltInProtocol | undefined {
  return BUILT_IN_PROTOCOLS.find((p) => p.key === key);
}
