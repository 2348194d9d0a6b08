import type { BuiltInProtocol, ProtocolDefinition } from '../protocol.js';
import { celDouble, param, resolveParameters } from './built-in-support.js';

/**
 * The missed check-in rule: a scheduled rule about absence (CLINICAL.md "Schedule": postpartum
 * contact within 3 weeks; the number of days is a local choice).
 *
 * @module
 */

const MISSED_CHECK_IN_PARAMETERS = {
  days: { value: 3, tighterWhen: 'LOWER', integer: true, min: 1, max: 30, description: 'Days without any log after which the coordinator reaches out.' },
} as const;

/**
 * No log of any kind for `days` days (default 3) → an outreach task for the care coordinator.
 * Evaluated hourly. Applies from `days` days after delivery; a patient who never logged anything
 * counts as missed (EVALUATE_AS_MATCH), not as "fine".
 */
export const MISSED_CHECK_IN: BuiltInProtocol = {
  key: 'missed-check-in',
  parameters: MISSED_CHECK_IN_PARAMETERS,
  build(given): ProtocolDefinition {
    const days = param(resolveParameters(MISSED_CHECK_IN_PARAMETERS, given), 'days');
    return {
      name: 'Missed check-in',
      description: `No log of any kind for ${days} days: the care coordinator reaches out.`,
      trigger: { type: 'SCHEDULED', everyMinutes: 60 },
      appliesWhen: `patient.daysPostpartum >= ${days}`,
      condition: `daysSinceLast("ANY") >= ${celDouble(days)}`,
      severity: 'INFO',
      actions: [{ type: 'CREATE_TASK', title: 'Outreach: no check-in logged recently', assignTo: 'CARE_COORDINATOR', dueInMinutes: 24 * 60 }],
      escalation: null,
      onIncompleteData: 'EVALUATE_AS_MATCH',
      guideline: 'Local choice; ACOG Committee Opinion 736 (postpartum contact within 3 weeks)',
    };
  },
};
