import { describe, expect, it } from 'vitest';
import { alertRecipients } from '../../src/alerting/alert-changes.js';
import { escalationSteps } from '../../src/protocols/escalation.js';
import type { EscalationChain } from '../../src/protocols/protocol.js';
import { alertConcerns } from '../../src/realtime/relevance.js';

const NAMED = '3f0c7a54-2f7e-4a51-9d7e-0f5b2d7f9a11';
const CHAIN: EscalationChain = {
  tiers: [
    { targets: [{ type: 'ROLE', role: 'MENTAL_HEALTH_SPECIALIST' }], ackTimeoutMinutes: 10 },
    { targets: [{ type: 'ROLE', role: 'PRIMARY_CARE_PROVIDER' }, { type: 'USER', userId: NAMED }], ackTimeoutMinutes: 10 },
  ],
  fallback: { targets: [{ type: 'ROLE', role: 'CARE_COORDINATOR' }], ackTimeoutMinutes: 15 },
  repeat: 0,
};

const careTeam = (role: string, categories: string[]) => ({ relation: 'CARE_TEAM', careTeamRole: role, categories: new Set(categories) });

describe('alertRecipients', () => {
  it('is the routing alone before any page', () => {
    expect(alertRecipients(['MENTAL_HEALTH_SPECIALIST'], escalationSteps(CHAIN), null)).toEqual({ roles: ['MENTAL_HEALTH_SPECIALIST'], userIds: [] });
  });

  it('adds the targets of every tier paged so far, named users included', () => {
    expect(alertRecipients(['MIDWIFE'], escalationSteps(CHAIN), 1)).toEqual({
      roles: ['MENTAL_HEALTH_SPECIALIST', 'MIDWIFE', 'PRIMARY_CARE_PROVIDER'],
      userIds: [NAMED],
    });
    expect(alertRecipients([], escalationSteps(CHAIN), 2).roles).toContain('CARE_COORDINATOR');
  });
});

describe('alertConcerns', () => {
  const audience = { roles: ['MENTAL_HEALTH_SPECIALIST', 'LACTATION_CONSULTANT'], userIds: [NAMED] };

  it('reaches a care-team member whose role is in the audience and whose grant covers the category', () => {
    expect(alertConcerns(careTeam('MENTAL_HEALTH_SPECIALIST', ['MENTAL_HEALTH']), 'u1', audience, ['MENTAL_HEALTH'])).toBe(true);
  });

  it('never reaches a member whose grant lacks the category, whatever the routing', () => {
    expect(alertConcerns(careTeam('LACTATION_CONSULTANT', ['FEEDING', 'INFANT']), 'u2', audience, ['MENTAL_HEALTH'])).toBe(false);
    expect(alertConcerns(careTeam('LACTATION_CONSULTANT', ['FEEDING', 'MENTAL_HEALTH']), 'u2', audience, ['MENTAL_HEALTH'])).toBe(true);
  });

  it('skips care-team roles outside the audience, but reaches a named user with a covering grant', () => {
    expect(alertConcerns(careTeam('MIDWIFE', ['MENTAL_HEALTH']), 'u3', audience, ['MENTAL_HEALTH'])).toBe(false);
    expect(alertConcerns(careTeam('MIDWIFE', ['MENTAL_HEALTH']), NAMED, audience, ['MENTAL_HEALTH'])).toBe(true);
    expect(alertConcerns({ relation: 'EMERGENCY', careTeamRole: null, categories: new Set(['MENTAL_HEALTH']) }, 'u4', audience, ['MENTAL_HEALTH'])).toBe(false);
  });

  it('never reaches the patient herself, an admin, or someone without a grant', () => {
    const all = new Set(['MENTAL_HEALTH', 'IDENTITY']);
    expect(alertConcerns({ relation: 'SELF', careTeamRole: null, categories: all }, NAMED, audience, ['MENTAL_HEALTH'])).toBe(false);
    expect(alertConcerns({ relation: 'ADMIN', careTeamRole: null, categories: all }, NAMED, audience, ['MENTAL_HEALTH'])).toBe(false);
    expect(alertConcerns(undefined, NAMED, audience, ['MENTAL_HEALTH'])).toBe(false);
  });
});
