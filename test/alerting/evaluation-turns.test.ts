import { describe, expect, it } from 'vitest';
import { turnLeavesMore } from '../../src/alerting/event-evaluator.js';

describe('turnLeavesMore', () => {
  const walk = { finished: true, cut: false, announced: false };

  it('says a short page that wrote nothing was the end of the stream', () => {
    expect(turnLeavesMore(100, 40, walk)).toBe(false);
  });

  it('says a full page may have more behind it', () => {
    expect(turnLeavesMore(100, 100, walk)).toBe(true);
  });

  it('says a turn cut short by its time has more', () => {
    expect(turnLeavesMore(100, 40, { ...walk, cut: true })).toBe(true);
  });

  it('says a turn that wrote alert events has more (they follow the page)', () => {
    expect(turnLeavesMore(100, 40, { ...walk, announced: true })).toBe(true);
  });

  it('leaves the rest to the next pass when the walk stopped early', () => {
    expect(turnLeavesMore(100, 100, { finished: false, cut: false, announced: true })).toBe(false);
  });
});
