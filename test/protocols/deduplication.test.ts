import { describe, expect, it } from 'vitest';
import { decideOnMatch } from '../../src/protocols/deduplication.js';
import type { MatchDecision, Severity } from '../../src/protocols/protocol.js';

describe('decideOnMatch', () => {
  it('opens a new alert when none is open, whatever the severity', () => {
    for (const severity of ['INFO', 'WARNING', 'CRITICAL'] as const) {
      expect(decideOnMatch(null, severity)).toBe('OPEN_NEW');
    }
  });

  const table: [open: Severity, match: Severity, decision: MatchDecision][] = [
    ['INFO', 'INFO', 'ATTACH_EVIDENCE'],
    ['INFO', 'WARNING', 'RAISE_SEVERITY'],
    ['INFO', 'CRITICAL', 'RAISE_SEVERITY'],
    ['WARNING', 'INFO', 'ATTACH_EVIDENCE'],
    ['WARNING', 'WARNING', 'ATTACH_EVIDENCE'],
    ['WARNING', 'CRITICAL', 'RAISE_SEVERITY'],
    ['CRITICAL', 'INFO', 'ATTACH_EVIDENCE'],
    ['CRITICAL', 'WARNING', 'ATTACH_EVIDENCE'],
    ['CRITICAL', 'CRITICAL', 'ATTACH_AND_REPAGE'],
  ];
  it.each(table)('with a %s alert open, a %s match decides %s', (open, match, decision) => {
    expect(decideOnMatch({ severity: open }, match)).toBe(decision);
  });

  it('never suppresses a critical match: it either raises or re-pages', () => {
    for (const open of ['INFO', 'WARNING', 'CRITICAL'] as const) {
      expect(['RAISE_SEVERITY', 'ATTACH_AND_REPAGE']).toContain(decideOnMatch({ severity: open }, 'CRITICAL'));
    }
  });
});
