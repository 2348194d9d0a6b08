import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { gql, gqlOk } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** Distinctive strings that must never appear in a log line or an error. */
const MARKERS = {
  givenName: 'Zenobia',
  familyName: 'Quillfeather',
  phone: '+44 7700 900123',
  email: 'zenobia.quillfeather@example.org',
  mrn: 'MRN-PHI-8842',
  note: 'cannot stop crying since Tuesday',
} as const;

describe('no PHI in logs or errors', () => {
  let ts: TestServer;
  let coordinator: TestUser;
  let patient: TestPatient;
  const responses: string[] = [];

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
      // a duplicate e-mail (PostgreSQL's unique-violation message would quote it)
      gql(ts.url, `mutation($input: CreatePatientInput!) { createPatient(input: $input) { id } }`, { input: { givenName: MARKERS.givenName, familyName: 'X', birthDate: 'not-a-date', deliveryDate: '2026-11-01', email: MARKERS.email } }, coordinator.token),
      // a failed login with a PHI-looking e-mail address
      gql(ts.url, `mutation { login(email: "${MARKERS.email}", password: "${MARKERS.note}") { accessToken } }`),
    ];
    for (const res of await Promise.all(calls)) responses.push(JSON.stringify(res.errors ?? []));
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

  it('still reports the errors with codes and fields', () => {
    expect(responses.join('\n')).toContain('"field":"input.bogus"');
    expect(responses.join('\n')).toContain('"field":"input.score"');
  });
});
