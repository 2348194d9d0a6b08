import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { meets, parseWalks, valueAt, valuesAt, variablesFor } from './readme-walks.js';

const FIXTURE = [
  '# A walk',
  '',
  '<!-- walk: patient; step: sign-in; as: patient -->',
  '```graphql',
  'mutation { login(email: "p@example.org", password: "pw") { accessToken } }',
  '```',
  '',
  'Some prose, and a block that is not a step:',
  '',
  '```graphql',
  '{ me { id } }',
  '```',
  '',
  '<!-- walk: patient; step: me; as: patient; saves: patientId=me.patient.id, infantId=me.patient.infants.0.id -->',
  '',
  '```graphql',
  '{ me { patient { id infants { id } } } }',
  '```',
  '',
  '<!-- walk: nurse; step: watch; as: nurse; until: alerts.alert.evidence.*.id=$epdsId, alerts.action=RAISED; saves: alertId=alerts.alert.id -->',
  '```graphql',
  'subscription ($since: String) { alerts(since: $since) { action alert { id evidence { id } } } }',
  '```',
  '',
  '<!-- walk: nurse; step: other; as: other; error: NOT_FOUND -->',
  '```graphql',
  'query ($alertId: ID!) { alert(id: $alertId) { id } }',
  '```',
].join('\n');

describe('the README walk parser', () => {
  const steps = parseWalks(FIXTURE);

  it('finds every marked graphql block, in order, with its persona, operation and variables', () => {
    expect(steps.map((s) => [s.id, s.as, s.operation, s.rootFields, s.variables, s.line])).toEqual([
      ['patient/sign-in', 'patient', 'mutation', ['login'], [], 3],
      ['patient/me', 'patient', 'query', ['me'], [], 14],
      ['nurse/watch', 'nurse', 'subscription', ['alerts'], ['since'], 20],
      ['nurse/other', 'other', 'query', ['alert'], ['alertId'], 25],
    ]);
    expect(steps[1]!.query).toBe('{ me { patient { id infants { id } } } }');
  });

  it('reads saves, until conditions and expected errors', () => {
    expect(steps[1]!.saves).toEqual([{ name: 'patientId', path: 'me.patient.id' }, { name: 'infantId', path: 'me.patient.infants.0.id' }]);
    expect(steps[2]!.until).toEqual([{ path: 'alerts.alert.evidence.*.id', value: '$epdsId' }, { path: 'alerts.action', value: 'RAISED' }]);
    expect(steps[3]!.error).toBe('NOT_FOUND');
    expect(steps[0]!.error).toBeNull();
  });

  it('refuses markers it cannot run', () => {
    expect(() => parseWalks('<!-- walk: a; step: b -->\n```graphql\n{ me { id } }\n```')).toThrow('needs "as"');
    expect(() => parseWalks('<!-- walk: a; step: b; as: c; colour: red -->\n```graphql\n{ me { id } }\n```')).toThrow('unknown walk marker field');
    expect(() => parseWalks('<!-- walk: a; step: b; as: c -->\nprose\n```graphql\n{ me { id } }\n```')).toThrow('followed by a ```graphql block');
    expect(() => parseWalks('<!-- walk: a; step: b; as: c -->\n```graphql\n{ me { id } }\n```\n<!-- walk: a; step: b; as: c -->\n```graphql\n{ me { id } }\n```')).toThrow('appears twice');
    expect(() => parseWalks('<!-- walk: a; step: b; as: c; until: x=1 -->\n```graphql\n{ me { id } }\n```')).toThrow('"until" is for subscriptions');
    expect(() => parseWalks('<!-- walk: a; step: b; as: c -->\n```graphql\n{ me { id } \n```')).toThrow();
  });

  it('reads values by path, with * for any list element, and fills variables from what was saved', () => {
    const event = { alerts: { action: 'RAISED', alert: { id: 'a1', evidence: [{ id: 'u1' }, { id: 'u2' }] } } };
    expect(valuesAt(event, 'alerts.alert.evidence.*.id')).toEqual(['u1', 'u2']);
    expect(valueAt(event, 'alerts.alert.id')).toBe('a1');
    expect(() => valueAt(event, 'alerts.alert.patient.id')).toThrow('nothing at alerts.alert.patient.id');
    expect(meets(event, steps[2]!.until, new Map([['epdsId', 'u2']]))).toBe(true);
    expect(meets(event, steps[2]!.until, new Map([['epdsId', 'u3']]))).toBe(false);
    expect(variablesFor(steps[3]!, new Map([['alertId', 'a1']]))).toEqual({ alertId: 'a1' });
    expect(() => variablesFor(steps[3]!, new Map())).toThrow('nurse/other needs $alertId, which no earlier step saves');
  });

  it('finds the three persona walks of the README', () => {
    const readme = parseWalks(readFileSync(new URL('../../README.md', import.meta.url), 'utf8'));
    expect(new Set(readme.map((s) => s.walk))).toEqual(new Set(['patient', 'clinician', 'coordinator']));
    expect(readme.length).toBeGreaterThanOrEqual(15);
  });
});
