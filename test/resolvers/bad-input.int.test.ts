import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, type GqlResponse } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** The input type of each logging mutation these tests send. */
const INPUT_TYPES = {
  logMood: 'LogMoodInput',
  logFeeding: 'LogFeedingInput',
  logVitals: 'LogVitalsInput',
  submitScreening: 'SubmitScreeningInput',
} as const;
type LogMutation = keyof typeof INPUT_TYPES;

/** A rejection the server must give: its code, the exact field, and text the error must not contain. */
interface Rejection {
  readonly code: 'BAD_USER_INPUT' | 'NOT_FOUND';
  readonly field: string;
  readonly mustNotEcho?: readonly string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

describe('bad input', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let coordinator: TestUser;
  let mother: TestPatient;
  let stranger: TestPatient;
  let otherTenantMother: TestPatient;

  /** Sends a logging mutation with its input in variables, as `token` (the mother when omitted). */
  const send = (mutation: LogMutation, input: Record<string, unknown>, token = mother.user!.token): Promise<GqlResponse> =>
    gql(ts.url, `mutation($input: ${INPUT_TYPES[mutation]}!) { ${mutation}(input: $input) { id } }`, { input }, token);

  /** Sends a document with its values written inline, as the mother. */
  const sendLiteral = (document: string): Promise<GqlResponse> => gql(ts.url, document, {}, mother.user!.token);

  /** The ids of a patient's stored status updates, as she sees them. */
  const storedIds = async (patient: TestPatient): Promise<string[]> => {
    const data = await gqlOk<{ statusUpdates: { edges: Array<{ node: { id: string } }> } }>(
      ts.url,
      `query($p: ID!) { statusUpdates(patientId: $p, first: 100) { edges { node { id } } } }`,
      { p: patient.id },
      patient.user!.token,
    );
    return data.statusUpdates.edges.map((e) => e.node.id);
  };

  /**
   * Runs `request` and checks that it was rejected with exactly one error of the expected code and
   * field, that the error does not echo what was sent, and that `patient` has no new status update.
   */
  const expectRejected = async (request: () => Promise<GqlResponse>, expected: Rejection, patient = mother): Promise<GqlResponse> => {
    const before = await storedIds(patient);
    const res = await request();
    expect(res.errors, JSON.stringify(res.errors)).toHaveLength(1);
    expect(errorOf(res)).toEqual({ code: expected.code, field: expected.field });
    expect(Object.values(res.data ?? {}).filter((v) => v !== null)).toEqual([]);
    const wire = JSON.stringify(res.errors);
    for (const secret of expected.mustNotEcho ?? []) expect(wire).not.toContain(secret);
    expect(await storedIds(patient)).toEqual(before);
    return res;
  };

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    mother = await tenant.patient(coordinator, { withLogin: true });
    stranger = await tenant.patient(coordinator, { withLogin: true });
    const otherTenant = await TestTenant.create(ts, 'Other Clinic');
    otherTenantMother = await otherTenant.patient(await otherTenant.user('CARE_COORDINATOR'), { withLogin: true });
  });
  afterAll(async () => {
    await ts?.close();
  });

  describe('malformed requests', () => {
    it('rejects malformed JSON with a 400, BAD_USER_INPUT and field body', async () => {
      const before = await storedIds(mother);
      const res = await fetch(ts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${mother.user!.token}` },
        body: `{"query": "mutation { logMood(input: {patientId: \\"${mother.id}\\", score: 3}) { id } }", "variables": {"note": "Jane Secret"`,
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { errors: Array<{ message: string; extensions: Record<string, unknown> }> };
      expect(body.errors).toEqual([{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_USER_INPUT', field: 'body' } }]);
      expect(await storedIds(mother)).toEqual(before);
    });

    it('rejects a body over the 1 MiB default with a 413, BAD_USER_INPUT and field body', async () => {
      const before = await storedIds(mother);
      const note = 'x'.repeat(1024 * 1024 + 1);
      const res = await fetch(ts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${mother.user!.token}` },
        body: JSON.stringify({
          query: `mutation($input: LogMoodInput!) { logMood(input: $input) { id } }`,
          variables: { input: { patientId: mother.id, score: 3, note } },
        }),
      });
      expect(res.status).toBe(413);
      const body = (await res.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
      expect(body.errors.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT', field: 'body' }]);
      expect(await storedIds(mother)).toEqual(before);
    });
  });

  describe('unknown fields and wrong types', () => {
    /** Made-up PHI with a "; " in it, which graphql-js also uses to join the parts of its messages. */
    const SECRET = 'Jane Doe; 12 Secret Street';
    const ECHOES = ['Jane Doe', 'Secret Street'];
    const EMAIL = 'jane.doe@example.com';
    const literalMood = (fields: string) => `mutation { logMood(input: {patientId: "${mother.id}", ${fields}}) { id } }`;

    it.each([
      { what: 'an unknown field', input: () => ({ patientId: mother.id, score: 3, bogus: SECRET }), field: 'input.bogus' },
      { what: 'a note sent alongside an unknown field', input: () => ({ patientId: mother.id, score: 3, note: SECRET, bogus: 1 }), field: 'input.bogus' },
      { what: 'a string where an Int is expected', input: () => ({ patientId: mother.id, score: SECRET }), field: 'input.score' },
      { what: 'a recordedAt that is not a date-time', input: () => ({ patientId: mother.id, score: 3, recordedAt: SECRET }), field: 'input.recordedAt' },
    ])('rejects $what in variables on $field without echoing the value', async ({ input, field }) => {
      await expectRejected(() => send('logMood', input()), { code: 'BAD_USER_INPUT', field, mustNotEcho: ECHOES });
    });

    it.each([
      { what: 'a string where an Int is expected', fields: () => `score: "${SECRET}"`, field: 'score' },
      { what: 'an unknown field', fields: () => `score: 3, bogus: "${SECRET}"`, field: 'bogus' },
    ])('rejects $what written inside the query document with a 400 on $field without echoing the value', async ({ fields, field }) => {
      // A literal's field is the nearest key (see test/error-normaliser.test.ts), not the input.score path variables get.
      const res = await expectRejected(() => sendLiteral(literalMood(fields())), { code: 'BAD_USER_INPUT', field, mustNotEcho: ECHOES });
      expect(res.status).toBe(400);
    });

    it.each([
      { what: 'a list where an Int is expected', mutation: 'logMood', input: () => ({ patientId: mother.id, score: [SECRET, EMAIL] }), field: 'input.score' },
      { what: 'an object where an ID is expected', mutation: 'logMood', input: () => ({ patientId: { name: SECRET, email: EMAIL }, score: 3 }), field: 'input.patientId' },
      {
        what: 'an e-mail address where an enum is expected',
        mutation: 'logFeeding',
        input: () => ({ patientId: mother.id, infantId: mother.infantId, method: EMAIL }),
        field: 'input.method',
      },
    ] as const)('rejects $what on $field without echoing any of it', async ({ mutation, input, field }) => {
      await expectRejected(() => send(mutation, input()), { code: 'BAD_USER_INPUT', field, mustNotEcho: [...ECHOES, 'doe@example.com'] });
    });
  });

  describe('out-of-range values', () => {
    it.each([0, 9])('rejects mood %i on input.score', async (score) => {
      const res = await expectRejected(() => send('logMood', { patientId: mother.id, score }), { code: 'BAD_USER_INPUT', field: 'input.score' });
      expect(res.errors![0]!.message).toBe('input.score must be a whole number from 1 to 5 (1).');
    });

    it.each([9, 11])('rejects an EPDS with %i answers on input.answers', async (count) => {
      const res = await expectRejected(() => send('submitScreening', { patientId: mother.id, instrument: 'EPDS', answers: Array(count).fill(2) }), {
        code: 'BAD_USER_INPUT',
        field: 'input.answers',
      });
      expect(res.errors![0]!.message).toMatch(/^EPDS needs exactly 10 answers/);
    });

    it('rejects an EPDS answer of 4 on the item it was given for', async () => {
      const res = await expectRejected(() => send('submitScreening', { patientId: mother.id, instrument: 'EPDS', answers: [0, 1, 4, 0, 0, 0, 0, 0, 0, 0] }), {
        code: 'BAD_USER_INPUT',
        field: 'input.answers[2]',
      });
      expect(res.errors![0]!.message).toBe('answers[2] must be an integer from 0 to 3');
    });

    it('rejects systolic 900 on input.systolic without echoing it', async () => {
      await expectRejected(() => send('logVitals', { patientId: mother.id, systolic: 900, diastolic: 80 }), {
        code: 'BAD_USER_INPUT',
        field: 'input.systolic',
        mustNotEcho: ['900'],
      });
    });

    it.each([
      { systolic: 120, diastolic: 120 },
      { systolic: 110, diastolic: 130 },
    ])('rejects diastolic $diastolic not below systolic $systolic on input.diastolic', async (bp) => {
      await expectRejected(() => send('logVitals', { patientId: mother.id, ...bp }), { code: 'BAD_USER_INPUT', field: 'input.diastolic' });
    });

    it('rejects a recordedAt one day in the future on input.recordedAt without echoing it', async () => {
      const future = new Date(Date.now() + DAY_MS).toISOString();
      await expectRejected(() => send('logMood', { patientId: mother.id, score: 3, recordedAt: future }), {
        code: 'BAD_USER_INPUT',
        field: 'input.recordedAt',
        mustNotEcho: [future, future.slice(0, 10)],
      });
    });
  });

  describe('wrong and foreign ids', () => {
    it('answers NOT_FOUND on input.patientId for an id that is not a UUID, without echoing it', async () => {
      await expectRejected(() => send('logMood', { patientId: 'patient-42-jane-secret', score: 3 }), {
        code: 'NOT_FOUND',
        field: 'input.patientId',
        mustNotEcho: ['patient-42-jane-secret'],
      });
    });

    it('answers NOT_FOUND on input.patientId for a well-formed UUID that does not exist', async () => {
      const missing = crypto.randomUUID();
      await expectRejected(() => send('logMood', { patientId: missing, score: 3 }), { code: 'NOT_FOUND', field: 'input.patientId', mustNotEcho: [missing] });
    });

    it('answers NOT_FOUND on input.patientId for another patient of the same tenant', async () => {
      await expectRejected(() => send('logMood', { patientId: stranger.id, score: 3 }), { code: 'NOT_FOUND', field: 'input.patientId' }, stranger);
    });

    it("answers NOT_FOUND on input.patientId for a patient of another tenant, to a patient and a coordinator alike", async () => {
      const input = { patientId: otherTenantMother.id, score: 3 };
      await expectRejected(() => send('logMood', input), { code: 'NOT_FOUND', field: 'input.patientId' }, otherTenantMother);
      await expectRejected(() => send('logMood', input, coordinator.token), { code: 'NOT_FOUND', field: 'input.patientId' }, otherTenantMother);
    });

    it("answers NOT_FOUND on input.infantId for another patient's infant", async () => {
      await expectRejected(() => send('logFeeding', { patientId: mother.id, infantId: stranger.infantId, method: 'BREAST' }), {
        code: 'NOT_FOUND',
        field: 'input.infantId',
      });
    });

    it('answers BAD_USER_INPUT on after for a cursor that is not one, without echoing it', async () => {
      await expectRejected(
        () => gql(ts.url, `query($p: ID!, $after: String) { statusUpdates(patientId: $p, after: $after) { edges { cursor } } }`, { p: mother.id, after: 'Jane Secret' }, mother.user!.token),
        { code: 'BAD_USER_INPUT', field: 'after', mustNotEcho: ['Jane Secret'] },
      );
    });
  });

  it('still serves a valid request after every rejected one', async () => {
    const before = await storedIds(mother);
    const res = await gqlOk<{ logMood: { id: string; data: Record<string, unknown> } }>(
      ts.url,
      `mutation($input: LogMoodInput!) { logMood(input: $input) { id data } }`,
      { input: { patientId: mother.id, score: 5 } },
      mother.user!.token,
    );
    expect(res.logMood.data).toEqual({ score: 5 });
    expect(await storedIds(mother)).toEqual([res.logMood.id, ...before]);
  });
});
