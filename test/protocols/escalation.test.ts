import { describe, expect, it } from 'vitest';
import { escalationOffsetsMinutes, escalationSteps } from '../../src/protocols/escalation.js';
import type { EscalationChain, EscalationTier } from '../../src/protocols/protocol.js';

const midwife: EscalationTier = { targets: [{ type: 'ROLE', role: 'MIDWIFE' }], ackTimeoutMinutes: 10 };
const mentalHealth: EscalationTier = { targets: [{ type: 'ROLE', role: 'MENTAL_HEALTH_SPECIALIST' }], ackTimeoutMinutes: 5 };
const onCall: EscalationTier = { targets: [{ type: 'ROLE', role: 'PRIMARY_CARE_PROVIDER' }], ackTimeoutMinutes: 15 };

describe('escalationSteps', () => {
  it('pages the tiers in order and then the fallback when repeat is 0', () => {
    const chain: EscalationChain = { tiers: [midwife, mentalHealth], fallback: onCall, repeat: 0 };
    expect(escalationSteps(chain)).toEqual([
      { round: 0, tierIndex: 0, isFallback: false, tier: midwife },
      { round: 0, tierIndex: 1, isFallback: false, tier: mentalHealth },
      { round: 0, tierIndex: -1, isFallback: true, tier: onCall },
    ]);
  });

  it('runs the whole chain, fallback included, repeat + 1 times', () => {
    const chain: EscalationChain = { tiers: [midwife, mentalHealth], fallback: onCall, repeat: 2 };
    const steps = escalationSteps(chain);
    expect(steps).toHaveLength(9);
    expect(steps.map((s) => [s.round, s.tierIndex])).toEqual([
      [0, 0], [0, 1], [0, -1],
      [1, 0], [1, 1], [1, -1],
      [2, 0], [2, 1], [2, -1],
    ]);
    expect(steps.filter((s) => s.isFallback).map((s) => s.round)).toEqual([0, 1, 2]);
  });

  it('pages only the fallback when the chain has no ordinary tiers', () => {
    const steps = escalationSteps({ tiers: [], fallback: onCall, repeat: 1 });
    expect(steps).toEqual([
      { round: 0, tierIndex: -1, isFallback: true, tier: onCall },
      { round: 1, tierIndex: -1, isFallback: true, tier: onCall },
    ]);
  });

  it('treats a negative or non-finite repeat as no repeat rather than looping', () => {
    expect(escalationSteps({ tiers: [midwife], fallback: onCall, repeat: -3 })).toHaveLength(2);
    expect(escalationSteps({ tiers: [midwife], fallback: onCall, repeat: Number.NaN })).toHaveLength(2);
    expect(escalationSteps({ tiers: [midwife], fallback: onCall, repeat: 1.7 })).toHaveLength(4);
  });

  it('schedules each page after the acknowledgement timeouts of the steps before it', () => {
    const steps = escalationSteps({ tiers: [midwife, mentalHealth], fallback: onCall, repeat: 1 });
    expect(escalationOffsetsMinutes(steps)).toEqual([0, 10, 15, 30, 40, 45]);
  });
});
