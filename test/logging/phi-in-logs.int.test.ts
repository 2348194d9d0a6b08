import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { gql, gqlOk } from '../helpers/graphql-client.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';

/** Distinctive strings that must never appear in a log line or an error. */
const MARKERS = {
  givenName: 'Zenobia',
  familyName: 'Quillfeather',
  phone: '+44 7700 900123',
  email: 'zenobia.quillfeather@example.org',
  mrn: 'MRN-PHI-8842',
  note: 'cannot stop crying since Tuesday',
} as const;

/**
 * A trigger that makes PostgreSQL refuse every new patient row with a unique violation (SQLSTATE
 * 23505) whose message and detail quote the PHI, as PostgreSQL's own message quotes a duplicate
 * key. Columns are encrypted at rest, so no real constraint sees the plaintext; the trigger stands
 * in for one, raising the genuine database error a resolver can meet.
 */
const REFUSE_PATIENTS = [
  `create function phi_test_refuse_patient() returns trigger language plpgsql as $$
   begin
     raise exception using errcode = 'unique_violation',
       message = 'duplicate key value violates unique constraint "patient_email_unique"; key (email)=(${MARKERS.email})',
       detail = 'Failing row contains (${MARKERS.givenName}, ${MARKERS.familyName}, ${MARKERS.phone}, ${MARKERS.mrn}).';
   end $$`,
  `create trigger phi_test_refuse_patient before insert on "patient" for each row execute function phi_test_refuse_patient()`,
];

/** Posts an operation and returns the body with the `x-request-id` the server answered with. */
async function postWithRequestId(url: string, query: string, variables: Record<string, unknown>, token: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  return { status: res.status, requestId: res.headers.get('x-request-id'), body };
}

describe('no PHI in logs or errors', () => {
  let ts: TestServer;
  let coordinator: TestUser;
  let patient: TestPatient;
  const responses: string[] = [];
  let refused: Awaited<ReturnType<typeof postWithRequestId>>;

  beforeAll(async () => {
    ts = await startTestServer({ env: { LOG_LEVEL: 'trace' } });
    const tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    patient = await tenant.patient(coordinator);
    const created = await gql(
      ts.url,
      `mutation($input: CreatePatientInput!) { createPatient(input: $input) { id givenName } }`,
      { input: { givenName: MARKERS.givenName, familyName: MARKERS.familyName, birthDate: '1990-01-01', deliveryDate: '2026-11-01', phone: MARKERS.phone, email: MARKERS.email, mrn: MARKERS.mrn } },
      coordinator.token,
    );
    expect(created.data?.['createPatient']?.givenName).toBe(MARKERS.givenName);
    const calls = [
      // a valid write with a free-text note
      gql(ts.url, `mutation($input: LogMoodInput!) { logMood(input: $input) { id } }`, { input: { patientId: patient.id, score: 2, note: MARKERS.note } }, coordinator.token),
      // invalid: an unknown field carrying PHI, a wrong type carrying PHI, out of range with a note
      gql(ts.url, `mutation($input: LogMoodInput!) { logMood(input: $input) { id } }`, { input: { patientId: patient.id, score: 3, bogus: MARKERS.givenName } }, coordinator.token),
      gql(ts.url, `mutation($input: LogMoodInput!) { logMood(input: $input) { id } }`, { input: { patientId: patient.id, score: MARKERS.familyName } }, coordinator.token),
      gql(ts.url, `mutation { logMood(input: { patientId: "${patient.id}", score: "${MARKERS.mrn}" }) { id } }`, {}, coordinator.token),
      gql(ts.url, `mutation($input: LogMoodInput!) { logMood(input: $input) { id } }`, { input: { patientId: patient.id, score: 9, note: MARKERS.note } }, coordinator.token),
      // an invalid date beside PHI (refused before anything reaches the database)
      gql(ts.url, `mutation($input: CreatePatientInput!) { createPatient(input: $input) { id } }`, { input: { givenName: MARKERS.givenName, familyName: 'X', birthDate: 'not-a-date', deliveryDate: '2026-11-01', email: MARKERS.email } }, coordinator.token),
      // a failed login with a PHI-looking e-mail address
      gql(ts.url, `mutation { login(email: "${MARKERS.email}", password: "${MARKERS.note}") { accessToken } }`),
    ];
    for (const res of await Promise.all(calls)) responses.push(JSON.stringify(res.errors ?? []));
    // A valid request carrying PHI that fails in the database, whose error quotes the PHI.
    for (const statement of REFUSE_PATIENTS) await rawSql(ts, statement);
    refused = await postWithRequestId(
      ts.url,
      `mutation($input: CreatePatientInput!) { createPatient(input: $input) { id } }`,
      { input: { givenName: MARKERS.givenName, familyName: MARKERS.familyName, birthDate: '1990-01-01', deliveryDate: '2026-11-01', phone: MARKERS.phone, email: MARKERS.email, mrn: MARKERS.mrn } },
      coordinator.token,
    );
    responses.push(JSON.stringify(refused.body));
    await gqlOk(ts.url, `query($id: ID!) { patient(id: $id) { givenName familyName phone email mrn } }`, { id: created.data?.['createPatient']?.id }, coordinator.token);
  });
  afterAll(async () => {
    await ts?.close();
  });

  it('wrote log lines for every request, at trace level', () => {
    expect(ts.logs.filter((l) => l.includes('"graphql request"')).length).toBeGreaterThanOrEqual(8);
  });

  it.each(Object.entries(MARKERS))('never writes the %s into a log line', (_field, marker) => {
    expect(ts.logs.filter((line) => line.includes(marker))).toEqual([]);
  });

  it.each(Object.entries(MARKERS))('never echoes the %s in an error message', (_field, marker) => {
    expect(responses.filter((r) => r.includes(marker))).toEqual([]);
  });

  it('answers a request that failed in the database with a bare INTERNAL_SERVER_ERROR, tied to the log by its request id', () => {
    expect(refused.status).toBe(200);
    expect(refused.body.data).toBeNull();
    expect(refused.body.errors?.map(({ message, extensions }) => ({ message, extensions }))).toEqual([
      { message: 'Something went wrong on our side.', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ]);
    expect(refused.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const failures = ts.logs.map((line) => JSON.parse(line) as Record<string, any>).filter((l) => l['msg'] === 'resolver failed' && l['requestId'] === refused.requestId);
    // The database's own error reached the resolver: PostgreSQL's SQLSTATE for a unique violation, by its class only.
    expect(failures.map((l) => ({ type: l['err']?.type, code: l['err']?.code, message: l['err']?.message }))).toEqual([
      { type: 'UniqueConstraintViolationException', code: '23505', message: undefined },
    ]);
  });

  it('still reports the errors with codes and fields', () => {
    expect(responses.join('\n')).toContain('"field":"input.bogus"');
    expect(responses.join('\n')).toContain('"field":"input.score"');
  });
});
