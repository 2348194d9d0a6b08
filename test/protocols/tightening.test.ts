import { describe, expect, it } from 'vitest';
import {
  BUILT_IN_PROTOCOLS, checkTightening, EPDS_PROBABLE_DEPRESSION, EPDS_SELF_HARM, INFANT_FEVER, MISSED_CHECK_IN, SEVERE_BLOOD_PRESSURE,
  WORSENING_SCREENING_TREND,
} from '../../src/protocols/built-in/index.js';
import type { BuiltInProtocol, ProtocolDefinition } from '../../src/protocols/protocol.js';

const fieldsOf = (builtIn: BuiltInProtocol, parameters: Record<string, number>, change: (d: ProtocolDefinition) => ProtocolDefinition = (d) => d) =>
  checkTightening(builtIn, parameters, change(builtIn.build(parameters))).map((p) => p.field);

describe('checkTightening', () => {
  it.each(BUILT_IN_PROTOCOLS.map((p) => [p.key, p] as const))('accepts the unchanged baseline of %s', (_key, builtIn) => {
    expect(checkTightening(builtIn, {}, builtIn.build({}))).toEqual([]);
  });

  it('accepts a stricter cut-off (EPDS probable at 11) and rejects a looser one (14)', () => {
    expect(fieldsOf(EPDS_PROBABLE_DEPRESSION, { threshold: 11 })).toEqual([]);
    const problems = checkTightening(EPDS_PROBABLE_DEPRESSION, { threshold: 14 }, EPDS_PROBABLE_DEPRESSION.build({ threshold: 14 }));
    expect(problems).toEqual([{ field: 'input.parameters.threshold', message: 'threshold may only be made stricter: at most the baseline 13.' }]);
  });

  it('accepts a longer look-back and a smaller rise for the trend, and rejects a shorter look-back', () => {
    expect(fieldsOf(WORSENING_SCREENING_TREND, { windowDays: 90, rise: 3 })).toEqual([]);
    expect(fieldsOf(WORSENING_SCREENING_TREND, { windowDays: 30 })).toEqual(['input.parameters.windowDays']);
  });

  it('rejects severe blood-pressure thresholds raised above 160/110', () => {
    expect(fieldsOf(SEVERE_BLOOD_PRESSURE, { systolic: 165, diastolic: 115 })).toEqual(['input.parameters.systolic', 'input.parameters.diastolic']);
  });

  it('rejects a narrower infant fever age range and accepts a wider one', () => {
    expect(fieldsOf(INFANT_FEVER, { minAgeDays: 10 })).toEqual(['input.parameters.minAgeDays']);
    expect(fieldsOf(INFANT_FEVER, { minAgeDays: 0, maxAgeDays: 90, thresholdC: 37.8 })).toEqual([]);
  });

  it('rejects unknown parameters, fractions where whole numbers are needed and values out of range', () => {
    expect(fieldsOf(MISSED_CHECK_IN, { weeks: 1 })).toEqual(['input.parameters.weeks']);
    expect(fieldsOf(MISSED_CHECK_IN, { days: 2.5 })).toEqual(['input.parameters.days']);
    expect(fieldsOf(MISSED_CHECK_IN, { days: 0 })).toEqual(['input.parameters.days']);
  });

  it('accepts a raised severity and rejects a lowered one', () => {
    expect(fieldsOf(EPDS_PROBABLE_DEPRESSION, {}, (d) => ({ ...d, severity: 'CRITICAL' }))).toEqual([]);
    expect(fieldsOf(EPDS_PROBABLE_DEPRESSION, {}, (d) => ({ ...d, severity: 'INFO' }))).toEqual(['input.severity']);
  });

  it('rejects a changed condition, appliesWhen or trigger', () => {
    expect(fieldsOf(EPDS_SELF_HARM, {}, (d) => ({ ...d, condition: 'screening.items[9] > 1' }))).toEqual(['input.condition']);
    expect(fieldsOf(EPDS_SELF_HARM, {}, (d) => ({ ...d, appliesWhen: 'false' }))).toEqual(['input.appliesWhen']);
    expect(fieldsOf(EPDS_SELF_HARM, {}, (d) => ({ ...d, trigger: { type: 'ON_UPDATE', kinds: ['MOOD'] } }))).toEqual(['input.trigger']);
  });

  it('lets a scheduled rule run more often but not less often', () => {
    expect(fieldsOf(MISSED_CHECK_IN, {}, (d) => ({ ...d, trigger: { type: 'SCHEDULED', everyMinutes: 30 } }))).toEqual([]);
    expect(fieldsOf(MISSED_CHECK_IN, {}, (d) => ({ ...d, trigger: { type: 'SCHEDULED', everyMinutes: 240 } }))).toEqual(['input.trigger']);
  });

  it('rejects removing an action (the crisis-line message) and accepts adding one', () => {
    expect(fieldsOf(EPDS_SELF_HARM, {}, (d) => ({ ...d, actions: d.actions.filter((a) => a.type !== 'SEND_SAFETY_MESSAGE') }))).toEqual(['input.actions']);
    expect(fieldsOf(EPDS_SELF_HARM, {}, (d) => ({ ...d, actions: [...d.actions, { type: 'SEND_SAFETY_MESSAGE', template: 'CARE_TEAM_WILL_CALL' }] }))).toEqual([]);
  });

  it('rejects a task due later or an alert routed to fewer roles, and accepts an earlier task', () => {
    const retime = (minutes: number) => (d: ProtocolDefinition): ProtocolDefinition => ({
      ...d, actions: d.actions.map((a) => (a.type === 'CREATE_TASK' ? { ...a, dueInMinutes: minutes } : a)),
    });
    expect(fieldsOf(EPDS_SELF_HARM, {}, retime(120))).toEqual(['input.actions']);
    expect(fieldsOf(EPDS_SELF_HARM, {}, retime(30))).toEqual([]);
    expect(fieldsOf(EPDS_SELF_HARM, {}, (d) => ({ ...d, actions: d.actions.map((a) => (a.type === 'RAISE_ALERT' ? { ...a, routeTo: ['PRIMARY_CARE_PROVIDER'] } : a)) }))).toEqual(['input.actions']);
  });

  it('rejects a slower escalation: a longer tier timeout, fewer tiers, a slower fallback, fewer repeats', () => {
    const base = EPDS_SELF_HARM.build({});
    const chain = base.escalation!;
    const [first, second] = chain.tiers;
    expect(fieldsOf(EPDS_SELF_HARM, {}, (d) => ({ ...d, escalation: { ...chain, tiers: [{ ...first!, ackTimeoutMinutes: 30 }, second!] } })))
      .toEqual(['input.escalation.tiers[0].ackTimeoutMinutes', 'input.escalation.tiers']);
    expect(fieldsOf(EPDS_SELF_HARM, {}, (d) => ({ ...d, escalation: { ...chain, tiers: [first!] } }))).toEqual(['input.escalation.tiers']);
    expect(fieldsOf(EPDS_SELF_HARM, {}, (d) => ({ ...d, escalation: { ...chain, fallback: { ...chain.fallback, ackTimeoutMinutes: 60 } } })))
      .toEqual(['input.escalation.fallback.ackTimeoutMinutes']);
    expect(fieldsOf(EPDS_SELF_HARM, {}, (d) => ({ ...d, escalation: { ...chain, repeat: 1 } }))).toEqual(['input.escalation.repeat']);
    expect(fieldsOf(EPDS_SELF_HARM, {}, (d) => ({ ...d, escalation: null }))).toEqual(['input.escalation']);
  });

  it('rejects dropping a paged role from a tier and accepts adding one', () => {
    const chain = EPDS_SELF_HARM.build({}).escalation!;
    const [first, second] = chain.tiers;
    const replaced = { ...first!, targets: [{ type: 'ROLE' as const, role: 'CARE_COORDINATOR' as const }] };
    expect(fieldsOf(EPDS_SELF_HARM, {}, (d) => ({ ...d, escalation: { ...chain, tiers: [replaced, second!] } }))).toEqual(['input.escalation.tiers[0].targets']);
    const widened = { ...first!, targets: [...first!.targets, { type: 'ROLE' as const, role: 'CARE_COORDINATOR' as const }] };
    expect(fieldsOf(EPDS_SELF_HARM, {}, (d) => ({ ...d, escalation: { ...chain, tiers: [widened, second!] } }))).toEqual([]);
  });

  it('accepts a faster escalation with an extra tier that does not delay the fallback', () => {
    const chain = EPDS_SELF_HARM.build({}).escalation!;
    const [first, second] = chain.tiers;
    const faster = { ...chain, tiers: [{ ...first!, ackTimeoutMinutes: 5 }, { ...second!, ackTimeoutMinutes: 5 }, { ...second!, ackTimeoutMinutes: 10 }], repeat: 5 };
    expect(fieldsOf(EPDS_SELF_HARM, {}, (d) => ({ ...d, escalation: faster }))).toEqual([]);
  });

  it('rejects skipping incomplete data and removing the guideline', () => {
    expect(fieldsOf(EPDS_PROBABLE_DEPRESSION, {}, (d) => ({ ...d, onIncompleteData: 'SKIP' }))).toEqual(['input.onIncompleteData']);
    expect(fieldsOf(EPDS_PROBABLE_DEPRESSION, {}, (d) => ({ ...d, guideline: null }))).toEqual(['input.guideline']);
  });

  it('rejects a definition whose condition does not follow its parameters', () => {
    const proposed = EPDS_PROBABLE_DEPRESSION.build({ threshold: 11 });
    expect(checkTightening(EPDS_PROBABLE_DEPRESSION, { threshold: 12 }, proposed).map((p) => p.field)).toEqual(['input.condition']);
  });
});
