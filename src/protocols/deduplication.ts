import { isMoreSevere, type MatchDecision, type Severity } from './protocol.js';

/**
 * What to do when a protocol matches (or raises an incomplete-data alert) for a patient, given the
 * alert of the same protocol and patient that is still open, if any (one open alert per protocol
 * and patient):
 *
 * - none open → `OPEN_NEW`;
 * - the open alert is less severe than this match → `RAISE_SEVERITY` (a higher severity always
 *   breaks through: raise the open alert and page again);
 * - otherwise a CRITICAL match → `ATTACH_AND_REPAGE` (critical alerts are never suppressed);
 * - otherwise → `ATTACH_EVIDENCE` (add the evidence to the open alert without paging again, to
 *   limit alert fatigue).
 */
export function decideOnMatch(open: { readonly severity: Severity } | null, severity: Severity): MatchDecision {
  if (open === null) return 'OPEN_NEW';
  if (isMoreSevere(severity, open.severity)) return 'RAISE_SEVERITY';
  if (severity === 'CRITICAL') return 'ATTACH_AND_REPAGE';
  return 'ATTACH_EVIDENCE';
}
