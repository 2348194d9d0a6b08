import { describe, expect, it } from 'vitest';
import { OutageBackoff } from '../../src/db/outage-backoff.js';

describe('OutageBackoff', () => {
  it('doubles the pause after each failure up to the maximum, and tells when an outage begins', () => {
    let now = 0;
    const backoff = new OutageBackoff(100, 500, () => now);
    expect(backoff.ready).toBe(true);
    expect(backoff.failed()).toBe(true);
    const pauses: number[] = [];
    for (let i = 0; i < 4; i++) {
      let waited = 0;
      while (!backoff.ready) {
        now += 10;
        waited += 10;
      }
      pauses.push(waited);
      expect(backoff.failed()).toBe(false);
    }
    expect(pauses).toEqual([100, 200, 400, 500]);
    expect(backoff.failing).toBe(true);
  });

  it('is ready again at once after a success, which tells that the outage ended', () => {
    let now = 0;
    const backoff = new OutageBackoff(100, 500, () => now);
    backoff.failed();
    backoff.failed();
    expect(backoff.ready).toBe(false);
    expect(backoff.succeeded()).toBe(true);
    expect([backoff.ready, backoff.failing, backoff.succeeded()]).toEqual([true, false, false]);
    now += 1;
    expect(backoff.failed()).toBe(true);
  });
});
