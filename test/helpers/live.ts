import type { Client } from 'graphql-ws';
import type { TestPatient } from './builders.js';
import { collect, gqlOk, quietPeriod, type Collector } from './graphql-client.js';
import type { TestServer } from './test-server.js';

/** The subscription most live tests use. */
export const PATIENT_UPDATES = `subscription($since: String, $kinds: [StatusKind!], $patientIds: [ID!]) {
  patientUpdates(since: $since, kinds: $kinds, patientIds: $patientIds) { cursor update { id kind } }
}`;

/** One received `patientUpdates` payload (as selected by {@link PATIENT_UPDATES}). */
export interface LiveEvent {
  patientUpdates: { cursor: string; update: { id: string; kind: string } };
}

/** What a logging mutation returns. */
export interface Logged {
  readonly id: string;
  readonly cursor: string;
}

/** Logs a mood for a patient (as herself) on the server at `url`. */
export async function logMood(url: string, patient: TestPatient, score = 3): Promise<Logged> {
  const data = await gqlOk<{ logMood: Logged }>(
    url,
    `mutation($input: LogMoodInput!) { logMood(input: $input) { id cursor } }`,
    { input: { patientId: patient.id, score } },
    patient.user!.token,
  );
  return data.logMood;
}

/** Logs a feeding of the patient's infant (as herself). */
export async function logFeeding(url: string, patient: TestPatient): Promise<Logged> {
  const data = await gqlOk<{ logFeeding: Logged }>(
    url,
    `mutation($input: LogFeedingInput!) { logFeeding(input: $input) { id cursor } }`,
    { input: { patientId: patient.id, infantId: patient.infantId, method: 'BREAST', durationMinutes: 15 } },
    patient.user!.token,
  );
  return data.logFeeding;
}

/** The update ids a collector received, in order. */
export const receivedIds = (live: Collector<LiveEvent>) => live.received.map((e) => e.patientUpdates.update.id);
/** The kinds a collector received, in order. */
export const receivedKinds = (live: Collector<LiveEvent>) => live.received.map((e) => e.patientUpdates.update.kind);
/** The cursors a collector received, in order. */
export const receivedCursors = (live: Collector<LiveEvent>) => live.received.map((e) => e.patientUpdates.cursor);

/** The tenant sequence behind a cursor (cursors are opaque; tests decode them only to check order). */
export function seqOf(cursor: string): number {
  const match = /^seq:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new Error(`not a status-update cursor: ${cursor}`);
  return Number(match[1]);
}

/**
 * Subscribes with a real graphql-ws client and resolves once the server reports the subscription
 * live (so a write that follows cannot race it). `server` is the instance the client talks to.
 */
export async function subscribeLive<T = LiveEvent>(
  server: TestServer,
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Collector<T>> {
  const before = server.server.services.feed.openedCount;
  const live = collect<T>(client, query, variables);
  await waitForLiveSince(server, before, () => live.errors);
  return live;
}

/** Resolves once `server` has opened a live subscription after its count was `before`. */
export async function waitForLiveSince(server: TestServer, before: number, errors: () => unknown[] = () => []): Promise<void> {
  const feed = server.server.services.feed;
  const deadline = Date.now() + 10_000;
  while (feed.openedCount <= before) {
    if (errors().length > 0) throw new Error(`subscription failed: ${JSON.stringify(errors())}`);
    if (Date.now() > deadline) throw new Error('the subscription never became live');
    await quietPeriod(10);
  }
}

/**
 * Makes a write (`write`, which logs an update the subscriber of `live` is entitled to) and resolves
 * with it once that update has arrived; fails the test if it does not within `timeoutMs`.
 *
 * It is the positive control beside a refusal: sent after an update the subscriber must not get,
 * its arrival proves delivery works and, as one socket receives a tenant's updates in cursor order,
 * that the earlier update was withheld rather than late. It is also a barrier: a live feed applies
 * bus messages in the order they were published, so once it arrives every access change announced
 * before the write (care team, consent, routing) has been applied; for a change about a patient
 * the write must concern another patient, whose delivery the change does not pause.
 */
export async function receiveNext<T extends { patientUpdates: { update: { id: string } } }>(
  live: Collector<T>,
  write: () => Promise<Logged>,
  timeoutMs = 10_000,
): Promise<Logged> {
  const logged = await write();
  const arrived = await live.waitUntil(() => live.errors.length > 0 || live.received.some((e) => e.patientUpdates.update.id === logged.id), timeoutMs);
  const ids = live.received.map((e) => e.patientUpdates.update.id);
  if (!arrived || !ids.includes(logged.id)) {
    throw new Error(`update ${logged.id} was not delivered (received ${JSON.stringify(ids)}, errors ${JSON.stringify(live.errors)})`);
  }
  return logged;
}
