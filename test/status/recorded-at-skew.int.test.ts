import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant, type TestPatient } from '../helpers/builders.js';
import { errorOf, gql, gqlOk } from '../helpers/graphql-client.js';
import { startTestServerWithClock, type TestServer } from '../helpers/test-server.js';

const MINUTE_MS = 60_000;

describe('the recordedAt clock-skew allowance', () => {
  let ts: TestServer;
  let clock: { now: number };
  let mother: TestPatient;

  beforeAll(async () => {
    ({ ts, clock } = await startTestServerWithClock());
    const tenant = await TestTenant.create(ts);
    mother = await tenant.patient(await tenant.user('CARE_COORDINATOR'), { withLogin: true });
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('is stated in the schema on every input that takes a recordedAt', async () => {
    const data = await gqlOk<{ __schema: { types: Array<{ name: string; inputFields: Array<{ name: string; description: string | null }> | null }> } }>(
      ts.url,
      '{ __schema { types { name inputFields { name description } } } }',
      {},
      mother.user!.token,
    );
    const described = data.__schema.types.flatMap((type) =>
      (type.inputFields ?? []).filter((field) => field.name === 'recordedAt').map((field) => ({ type: type.name, description: field.description })),
    );
    expect(described.map((d) => d.type).sort()).toEqual(['LogFeedingInput', 'LogInfantVitalsInput', 'LogMoodInput', 'LogSleepInput', 'LogSymptomsInput', 'LogVitalsInput']);
    for (const { description } of described) {
      expect(description).toMatch(/At most 5 minutes ahead of the server's clock \(the allowance for clock skew between devices\)/);
    }
  });

  it('accepts a recordedAt just under 5 minutes ahead of the server clock, as the schema says', async () => {
    const recordedAt = new Date(clock.now + 5 * MINUTE_MS - 1000).toISOString();
    const logged = await gqlOk<{ logMood: { recordedAt: string } }>(
      ts.url,
      'mutation($input: LogMoodInput!) { logMood(input: $input) { recordedAt } }',
      { input: { patientId: mother.id, score: 3, recordedAt } },
      mother.user!.token,
    );
    expect(logged.logMood.recordedAt).toBe(recordedAt);
  });

  it('refuses a recordedAt just over 5 minutes ahead with BAD_USER_INPUT on the field', async () => {
    const recordedAt = new Date(clock.now + 5 * MINUTE_MS + 1000).toISOString();
    const res = await gql(ts.url, 'mutation($input: LogMoodInput!) { logMood(input: $input) { id } }', { input: { patientId: mother.id, score: 3, recordedAt } }, mother.user!.token);
    expect(errorOf(res)).toEqual({ code: 'BAD_USER_INPUT', field: 'input.recordedAt' });
  });
});
