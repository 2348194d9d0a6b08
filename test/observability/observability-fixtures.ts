import type { Client } from 'graphql-ws';
import { expect } from 'vitest';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { gql, gqlOk, type GqlResponse } from '../helpers/graphql-client.js';
import type { TestServer } from '../helpers/test-server.js';

/** Distinctive patient values that must never appear in metrics or spans. */
export const MARKERS = {
  givenName: 'Zenobia',
  familyName: 'Quillfeather',
  phone: '+44 7700 900123',
  email: 'zenobia.quillfeather@example.org',
  mrn: 'MRN-PHI-8842',
  note: 'cannot stop crying since Tuesday',
} as const;

/** The markers as they could appear in any encoding of a payload (raw, and JSON- or URL-escaped). */
export function markerForms(): string[] {
  return Object.values(MARKERS).flatMap((m) => [m, JSON.stringify(m).slice(1, -1), encodeURIComponent(m)]);
}

/** The markers found in `text` (none, in a passing test). */
export function markersIn(text: string): string[] {
  return markerForms().filter((m) => text.includes(m));
}

/** Who the observability tests act as: a coordinator and a patient created with the PHI markers. */
export interface PhiFixture {
  readonly coordinator: TestUser;
  readonly patient: TestPatient;
  /** The id of the patient created with {@link MARKERS}. */
  readonly markedPatientId: string;
}

/** Creates a tenant, a coordinator, a patient with her own login, and a patient carrying the markers. */
export async function seedPhi(ts: TestServer): Promise<PhiFixture> {
  const tenant = await TestTenant.create(ts);
  const coordinator = await tenant.user('CARE_COORDINATOR');
  const patient = await tenant.patient(coordinator, { withLogin: true });
  const created = await gqlOk<{ createPatient: { id: string } }>(
    ts.url,
    `mutation CreateMarkedPatient($input: CreatePatientInput!) { createPatient(input: $input) { id } }`,
    { input: { givenName: MARKERS.givenName, familyName: MARKERS.familyName, birthDate: '1990-01-01', deliveryDate: '2026-11-01', phone: MARKERS.phone, email: MARKERS.email, mrn: MARKERS.mrn } },
    coordinator.token,
  );
  return { coordinator, patient, markedPatientId: created.createPatient.id };
}

/** Runs one operation over a graphql-ws client and resolves with its single result (or its errors). */
export function overWebSocket(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<GqlResponse> {
  return new Promise((resolve) => {
    let result: GqlResponse = { status: 0 };
    client.subscribe(
      { query, variables },
      {
        next: (value) => {
          result = { status: 0, ...(value as Omit<GqlResponse, 'status'>) };
        },
        error: (err) => resolve({ status: 0, errors: Array.isArray(err) ? err : [{ message: String(err) }] }),
        complete: () => resolve(result),
      },
    );
  });
}

/** A named query reading the marked patient (the answer carries PHI). */
export const READ_PATIENT = `query ReadPatient($id: ID!) { patient(id: $id) { id givenName familyName mrn } }`;

/** A named mutation refused with BAD_USER_INPUT (score out of range) whose variables carry a PHI note. */
export const BAD_MOOD = `mutation LogMoodOutOfRange($input: LogMoodInput!) { logMood(input: $input) { id } }`;

/**
 * Over real HTTP: a successful query whose answer carries PHI, a mutation refused with
 * BAD_USER_INPUT whose variables carry PHI, and an invalid document with PHI in its literals and
 * in an operation name that never passes validation.
 */
export async function runHttpOperations(ts: TestServer, fixture: PhiFixture): Promise<void> {
  const read = await gql(ts.url, READ_PATIENT, { id: fixture.markedPatientId }, fixture.coordinator.token);
  expect(read.data?.['patient']?.givenName).toBe(MARKERS.givenName);
  const bad = await gql(ts.url, BAD_MOOD, { input: { patientId: fixture.markedPatientId, score: 9, note: MARKERS.note } }, fixture.coordinator.token);
  expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  const invalid = await gql(ts.url, `query ${MARKERS.familyName} { patient(id: "${MARKERS.mrn}") { nonsense } }`, {}, fixture.coordinator.token);
  expect(invalid.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
}
