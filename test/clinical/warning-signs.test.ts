import { describe, it, expect } from 'vitest';
import { WARNING_SIGNS, WARNING_SIGN_DESCRIPTIONS, isWarningSign } from '../../src/clinical/warning-signs.js';

describe('warning signs', () => {
  it('lists the 13 CDC Hear Her signs once each as SCREAMING_SNAKE identifiers', () => {
    expect(WARNING_SIGNS).toHaveLength(13);
    expect(new Set(WARNING_SIGNS).size).toBe(13);
    for (const sign of WARNING_SIGNS) expect(sign).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
  });

  it('describes every sign and nothing else', () => {
    expect(Object.keys(WARNING_SIGN_DESCRIPTIONS).sort()).toEqual([...WARNING_SIGNS].sort());
    for (const sign of WARNING_SIGNS) expect(WARNING_SIGN_DESCRIPTIONS[sign].length).toBeGreaterThan(5);
  });

  it('states the fever threshold as 38.0 °C (100.4 °F)', () => {
    expect(WARNING_SIGN_DESCRIPTIONS.FEVER).toContain('38.0 °C');
    expect(WARNING_SIGN_DESCRIPTIONS.FEVER).toContain('100.4 °F');
  });

  it('recognises known signs and rejects anything else', () => {
    expect(isWarningSign('THOUGHTS_OF_HARM')).toBe(true);
    expect(isWarningSign('thoughts_of_harm')).toBe(false);
    expect(isWarningSign('toString')).toBe(false);
    expect(isWarningSign(3)).toBe(false);
  });
});
