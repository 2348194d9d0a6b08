import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import type { Role } from '../../src/db/entities/index.js';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { collect, gql, gqlOk, quietPeriod, wsClient, type Collector } from '../helpers/graphql-client.js';
import { waitForLiveSince, type LiveEvent } from '../helpers/live.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';
import {
  ALL, CLINICIANS, ON_TEAM, PATIENT_AND_CLINICIANS, PATIENT_SCOPED, ROLES, SITUATIONS, admits, categories, type Category, type Situation,
} from './access-oracle.js';
import { moodProtocolInput } from './matrix-fixtures.js';
import { distinctPatient, forbiddenMarkers, leaksIn, logMarkedMood, seedMarkers, type Marker } from './matrix-markers.js';

/**
 * Every patient-scoped operation × every role × every situation (own patient, another patient of
 * the tenant, another tenant, after removal from the team, after consent revoked, under break-glass),
 * and live events, against the oracle of `access-oracle.ts`. Every response, allowed or refused,
 * and every live event is also scanned for the markers (`matrix-markers.ts`) of each patient's
 * categories the oracle withholds from the caller. `operation-roles.int.test.ts` covers every other
 * operation (and the anonymous caller).
 */

/** ALLOWED and EMPTY (a list without the patient's record) are successes; the others are refusals. */
type Outcome = 'ALLOWED' | 'EMPTY' | 'NOT_FOUND' | 'FORBIDDEN' | 'CONFLICT';

/** What one cell of the matrix runs against: the situation's patient and the records made for her. */
interface Target {
  readonly patient: TestPatient;
  /** An alert on her MOOD updates (MENTAL_HEALTH). */
  readonly alertId: string;
  /** A RESEARCH consent she granted. */
  readonly consentId: string;
  /** The follow-up task the MOOD alert came with (MENTAL_HEALTH). */
  readonly taskId: string;
}

interface Operation {
  readonly name: string;
  /** The schema operations this row proves (the guard test checks every patient-scoped one is covered). */
  readonly covers: readonly string[];
  run(url: string, caller: TestUser, target: Target): Promise<{ outcome: Outcome; body: string }>;
  /** The oracle's answer for a role that the operation admits. */
  expected(role: Role, situation: Situation): Outcome;
}

const CODES: ReadonlySet<string> = new Set(['NOT_FOUND', 'FORBIDDEN', 'CONFLICT']);

function outcomeOf(res: Awaited<ReturnType<typeof gql>>, emptyWhen?: (data: any) => boolean): { outcome: Outcome; body: string } {
  const code = res.errors?.[0]?.extensions?.code;
  const body = JSON.stringify(res);
  if (res.errors?.length) return { outcome: (CODES.has(String(code)) ? code : `unexpected ${code}`) as Outcome, body };
  return { outcome: emptyWhen?.(res.data) ? 'EMPTY' : 'ALLOWED', body };
}

/** ALLOWED when the role reads `category` of the patient in the situation, else NOT_FOUND. */
const needs = (category: Category) => (role: Role, situation: Situation): Outcome => (categories(role, situation).has(category) ? 'ALLOWED' : 'NOT_FOUND');
/** For lists: ALLOWED (her record is listed) when the role reads `category`, else EMPTY. */
const listedWith = (category: Category) => (role: Role, situation: Situation): Outcome => (categories(role, situation).has(category) ? 'ALLOWED' : 'EMPTY');

const request = (query: string, variables: (t: Target) => Record<string, unknown>, emptyWhen?: (data: any) => boolean) =>
  async (url: string, caller: TestUser, t: Target) => outcomeOf(await gql(url, query, variables(t), caller.token), emptyWhen);

/** A logging mutation for the patient: allowed with the category of its kind. */
const logging = (name: string, inputType: string, category: Category, input: (t: Target) => Record<string, unknown>): Operation => ({
  name, covers: [`Mutation.${name}`], expected: needs(category),
  run: request(`mutation($i: ${inputType}!) { ${name}(input: $i) { id } }`, (t) => ({ i: { patientId: t.patient.id, ...input(t) } })),
});

/** Reads one patient field of `category`; a caller who may see the patient but not the field gets a field-level FORBIDDEN. */
const patientField = (field: string, selection: string, category: Category): Operation => ({
  name: `patient.${field}`, covers: [], run: request(`query($id: ID!) { patient(id: $id) { id ${selection} } }`, (t) => ({ id: t.patient.id })),
  expected: (role, situation) => {
    const cats = categories(role, situation);
    return !cats.has('IDENTITY') ? 'NOT_FOUND' : cats.has(category) ? 'ALLOWED' : 'FORBIDDEN';
  },
});

/** Spare midwives the managers assign and remove again (one each, so their cells never collide). */
const spares = new Map<Role, TestUser>();

const OPERATIONS: Operation[] = [
  { name: 'patient', covers: ['Query.patient'], expected: needs('IDENTITY'), run: request('query($id: ID!) { patient(id: $id) { id userId givenName familyName birthDate mrn } }', (t) => ({ id: t.patient.id })) },
  {
    name: 'patients', covers: ['Query.patients'], expected: listedWith('IDENTITY'),
    run: async (url, caller, t) =>
      outcomeOf(await gql(url, '{ patients(first: 100) { edges { node { id givenName familyName mrn } } } }', {}, caller.token), (d) => !d.patients.edges.some((e: any) => e.node.id === t.patient.id)),
  },
  {
    // A grant without the category reads as an empty list, which the oracle counts as not allowed to see.
    name: 'statusUpdates(MOOD)', covers: ['Query.statusUpdates'],
    expected: (role, situation) => (categories(role, situation).size === 0 ? 'NOT_FOUND' : listedWith('MENTAL_HEALTH')(role, situation)),
    run: request('query($p: ID!) { statusUpdates(patientId: $p, kinds: [MOOD]) { edges { node { id data } } } }', (t) => ({ p: t.patient.id }), (d) => d.statusUpdates.edges.length === 0),
  },
  {
    // Every kind at once: each record is filtered by its own category (the scan catches one that is not).
    name: 'statusUpdates(every kind)', covers: ['Query.statusUpdates'],
    expected: (role, situation) => (categories(role, situation).size === 0 ? 'NOT_FOUND' : 'ALLOWED'),
    run: request('query($p: ID!) { statusUpdates(patientId: $p) { edges { node { id kind infantId data } } } }', (t) => ({ p: t.patient.id }), (d) => d.statusUpdates.edges.length === 0),
  },
  logging('logMood', 'LogMoodInput', 'MENTAL_HEALTH', () => ({ score: 3 })),
  logging('logFeeding', 'LogFeedingInput', 'FEEDING', (t) => ({ infantId: t.patient.infantId, method: 'FORMULA' })),
  logging('submitScreening', 'SubmitScreeningInput', 'MENTAL_HEALTH', () => ({ instrument: 'EPDS', answers: [0, 0, 0, 0, 0, 0, 0, 0, 0, 3] })),
  logging('logSleep', 'LogSleepInput', 'MATERNAL', () => ({ hours: 4 })),
  logging('logVitals', 'LogVitalsInput', 'MATERNAL', () => ({ systolic: 128, diastolic: 84 })),
  logging('logSymptoms', 'LogSymptomsInput', 'MATERNAL', () => ({ symptoms: ['PERSISTENT_HEADACHE'] })),
  logging('logInfantVitals', 'LogInfantVitalsInput', 'INFANT', (t) => ({ infantId: t.patient.infantId, weightGrams: 3600 })),
  {
    name: 'addInfant', covers: ['Mutation.addInfant'], expected: needs('INFANT'),
    run: request('mutation($p: ID!, $i: AddInfantInput!) { addInfant(patientId: $p, input: $i) { id } }', (t) => ({ p: t.patient.id, i: { givenName: 'Twin', birthDate: '2026-11-01', birthWeightGrams: 2900 } })),
  },
  patientField('deliveryDate', 'deliveryDate daysPostpartum', 'MATERNAL'),
  patientField('phone', 'phone email', 'CONTACT'),
  patientField('careTeam', 'careTeam { userId role }', 'CARE_TEAM'),
  patientField('infants', 'infants { id givenName birthDate birthWeightGrams }', 'INFANT'),
  { name: 'consents', covers: ['Query.consents'], expected: needs('CARE_TEAM'), run: request('query($p: ID!) { consents(patientId: $p) { id } }', (t) => ({ p: t.patient.id })) },
  {
    name: 'grantConsent', covers: ['Mutation.grantConsent'], expected: (role, situation) => (role === 'PATIENT' && situation === 'OWN' ? 'ALLOWED' : 'NOT_FOUND'),
    run: request('mutation($i: GrantConsentInput!) { grantConsent(input: $i) { id } }', (t) => ({ i: { patientId: t.patient.id, type: 'RESEARCH', categories: ['FEEDING'], version: 'v2' } })),
  },
  {
    name: 'revokeConsent', covers: ['Mutation.revokeConsent'], expected: (role, situation) => (role === 'PATIENT' && situation === 'OWN' ? 'ALLOWED' : 'NOT_FOUND'),
    run: request('mutation($id: ID!) { revokeConsent(id: $id) { id } }', (t) => ({ id: t.consentId })),
  },
  {
    name: 'alert', covers: ['Query.alert'], expected: needs('MENTAL_HEALTH'),
    run: request('query($id: ID!) { alert(id: $id) { id severity patient { familyName mrn } evidence { kind data } } }', (t) => ({ id: t.alertId })),
  },
  {
    name: 'alerts', covers: ['Query.alerts'], expected: listedWith('MENTAL_HEALTH'),
    run: async (url, caller, t) =>
      outcomeOf(await gql(url, '{ alerts(first: 100) { edges { node { id patient { familyName } evidence { data } } } } }', {}, caller.token), (d) => !d.alerts.edges.some((e: any) => e.node.id === t.alertId)),
  },
  { name: 'acknowledgeAlert', covers: ['Mutation.acknowledgeAlert'], expected: needs('MENTAL_HEALTH'), run: request('mutation($id: ID!) { acknowledgeAlert(id: $id) { id status } }', (t) => ({ id: t.alertId })) },
  { name: 'resolveAlert', covers: ['Mutation.resolveAlert'], expected: needs('MENTAL_HEALTH'), run: request('mutation($id: ID!) { resolveAlert(id: $id, note: "Called her back") { id status } }', (t) => ({ id: t.alertId })) },
  {
    // Listed by patient: no grant is NOT_FOUND, a grant without the task's category lists nothing.
    name: 'followUpTasks', covers: ['Query.followUpTasks'],
    expected: (role, situation) => (categories(role, situation).size === 0 ? 'NOT_FOUND' : listedWith('MENTAL_HEALTH')(role, situation)),
    run: async (url, caller, t) =>
      outcomeOf(await gql(url, 'query($p: ID!) { followUpTasks(patientId: $p) { edges { node { id title } } } }', { p: t.patient.id }, caller.token), (d) => !d.followUpTasks.edges.some((e: any) => e.node.id === t.taskId)),
  },
  {
    // Cells run at once: one admitted caller completes the task, the others get CONFLICT, which is
    // answered only after access to the task was granted, so it counts as allowed.
    name: 'completeFollowUpTask', covers: ['Mutation.completeFollowUpTask'], expected: needs('MENTAL_HEALTH'),
    run: async (url, caller, t) => {
      const result = outcomeOf(await gql(url, 'mutation($id: ID!) { completeFollowUpTask(id: $id, note: "Called; she is safe") { id status } }', { id: t.taskId }, caller.token));
      return result.outcome === 'CONFLICT' ? { ...result, outcome: 'ALLOWED' } : result;
    },
  },
  {
    // Any grant lets the coordinator dry-run a protocol on the patient (on what that grant covers).
    name: 'simulateProtocol', covers: ['Query.simulateProtocol'], expected: (role, situation) => (categories(role, situation).size > 0 ? 'ALLOWED' : 'NOT_FOUND'),
    run: request(
      'query($i: ProtocolInput!, $p: ID!) { simulateProtocol(input: $i, patientId: $p) { outcome updateId trace { expression value } missingFacts actions } }',
      (t) => ({ i: moodProtocolInput('Dry run', 'mood.score <= 2'), p: t.patient.id }),
    ),
  },
  {
    // The compliance officer reads the trail of any patient of her tenant, never another tenant's:
    // who touched which fields, never a value (the oracle gives her no category, so the scan forbids every marker).
    name: 'auditTrail', covers: ['Query.auditTrail'], expected: (_role, situation) => (situation === 'OTHER_TENANT' ? 'NOT_FOUND' : 'ALLOWED'),
    run: request('query($p: ID!) { auditTrail(patientId: $p) { edges { cursor node { action fields patientId actorDisplayName details } } } }', (t) => ({ p: t.patient.id })),
  },
  {
    // Messaging follows the active care team: the patient and her team's clinicians, never break-glass or a removed member.
    name: 'preKeyBundles', covers: ['Query.preKeyBundles'],
    expected: (role, situation) => (role === 'PATIENT' ? (situation === 'OWN' ? 'ALLOWED' : 'NOT_FOUND') : ON_TEAM.has(situation) ? 'ALLOWED' : 'NOT_FOUND'),
    run: request('query($u: ID!) { preKeyBundles(userId: $u) { deviceId } }', (t) => ({ u: t.patient.user!.id })),
  },
  {
    // A coordinator manages the teams she is on (break-glass does not make her a manager). Separation of duties: the
    // tenant's ADMIN may not put a midwife on a team (it may only give a team without one its coordinator).
    name: 'assignCareTeamMember + removeCareTeamMember', covers: ['Mutation.assignCareTeamMember', 'Mutation.removeCareTeamMember'],
    expected: (role, situation) => (situation === 'OTHER_TENANT' ? 'NOT_FOUND' : role === 'ADMIN' ? 'FORBIDDEN' : ON_TEAM.has(situation) ? 'ALLOWED' : 'NOT_FOUND'),
    run: async (url, caller, t) => {
      const spare = spares.get(caller.role) ?? spares.get('ADMIN')!;
      const vars = { p: t.patient.id, u: spare.id };
      const assigned = outcomeOf(await gql(url, 'mutation($p: ID!, $u: ID!) { assignCareTeamMember(patientId: $p, userId: $u, role: MIDWIFE) { id } }', vars, caller.token));
      if (assigned.outcome === 'FORBIDDEN') return assigned;
      const removed = outcomeOf(await gql(url, 'mutation($p: ID!, $u: ID!) { removeCareTeamMember(patientId: $p, userId: $u) }', vars, caller.token));
      if (assigned.outcome !== removed.outcome) return { outcome: `assign ${assigned.outcome}, remove ${removed.outcome}` as Outcome, body: assigned.body + removed.body };
      return { outcome: assigned.outcome, body: assigned.body + removed.body };
    },
  },
];

/**
 * Run after the live tests, because they change the situations: a clinician who breaks glass on a
 * patient is no longer "outside" her. Members of the team are refused with CONFLICT.
 */
const ACCESS_CHANGING: Operation[] = [
  {
    name: 'requestEmergencyAccess', covers: ['Mutation.requestEmergencyAccess'],
    expected: (_role, situation) => (situation === 'OTHER_TENANT' ? 'NOT_FOUND' : ON_TEAM.has(situation) ? 'CONFLICT' : 'ALLOWED'),
    run: request('mutation($p: ID!) { requestEmergencyAccess(patientId: $p, justification: "Collapsed in clinic; her own team is unreachable.") { id } }', (t) => ({ p: t.patient.id })),
  },
];

/** The live subscriptions the tests below check (the other live rows of PATIENT_SCOPED). */
const LIVE_COVERS = ['Subscription.patientUpdates', 'Subscription.alerts'];

/** What the oracle expects of one operation for one role in one situation. */
function expected(op: Operation, role: Role, situation: Situation): Outcome {
  if (!op.covers.every((name) => admits(name, role))) return 'FORBIDDEN';
  return op.expected(role, situation);
}

describe('authorisation matrix', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let otherTenant: TestTenant;
  const users = new Map<Role, TestUser>();
  const targets = new Map<Situation, Target>();
  /** Each situation's patient's distinctive values; the live tests add the moods they log. */
  const markers = new Map<Situation, Marker[]>();
  const clients: Client[] = [];

  /** Creates the MOOD probe protocol in a tenant as a coordinator of it; returns its id. */
  const moodProtocol = async (coordinator: TestUser, name: string, condition: string) =>
    (await gqlOk<{ createProtocol: { id: string } }>(ts.url, 'mutation($i: ProtocolInput!) { createProtocol(input: $i) { id } }', { i: moodProtocolInput(name, condition) }, coordinator.token)).createProtocol.id;

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    otherTenant = await TestTenant.create(ts, 'Elsewhere');
    for (const role of ROLES) users.set(role, role === 'ADMIN' ? tenant.admin : await tenant.user(role));
    spares.set('ADMIN', await tenant.user('MIDWIFE'));
    spares.set('CARE_COORDINATOR', await tenant.user('MIDWIFE'));
    const clinicians = CLINICIANS.map((r) => users.get(r)!);
    const coordinator = users.get('CARE_COORDINATOR')!;
    const otherCoordinator = await tenant.user('CARE_COORDINATOR');
    const foreignCoordinator = await otherTenant.user('CARE_COORDINATOR');
    const team = clinicians.filter((u) => u !== coordinator);
    const own = await tenant.patient(coordinator, { team, withLogin: true, ...distinctPatient('OWN') });
    const other = await tenant.patient(otherCoordinator, { withLogin: true, ...distinctPatient('OTHER_IN_TENANT') });
    const foreign = await otherTenant.patient(foreignCoordinator, { withLogin: true, ...distinctPatient('OTHER_TENANT') });
    const removed = await tenant.patient(otherCoordinator, { team: clinicians, withLogin: true, ...distinctPatient('AFTER_REMOVAL') });
    for (const u of clinicians) {
      await gqlOk(ts.url, `mutation($p: ID!, $u: ID!) { removeCareTeamMember(patientId: $p, userId: $u) }`, { p: removed.id, u: u.id }, otherCoordinator.token);
    }
    const revoked = await tenant.patient(otherCoordinator, { team: clinicians, withLogin: true, ...distinctPatient('AFTER_CONSENT_REVOKED') });
    const consent = await gqlOk<{ grantConsent: { id: string } }>(
      ts.url, `mutation($i: GrantConsentInput!) { grantConsent(input: $i) { id } }`,
      { i: { patientId: revoked.id, type: 'DATA_SHARING', categories: ALL, version: 'v1' } }, revoked.user!.token,
    );
    await gqlOk(ts.url, `mutation($id: ID!) { revokeConsent(id: $id) { id } }`, { id: consent.grantConsent.id }, revoked.user!.token);
    const glass = await tenant.patient(otherCoordinator, { withLogin: true, ...distinctPatient('UNDER_BREAK_GLASS') });
    for (const u of clinicians) {
      await gqlOk(ts.url, `mutation($p: ID!, $j: String!) { requestEmergencyAccess(patientId: $p, justification: $j) { id } }`,
        { p: glass.id, j: 'Collapsed in clinic; her own team is unreachable tonight.' }, u.token);
    }
    // The PATIENT caller is the mother of the OWN column; every other column is someone else.
    users.set('PATIENT', own.user!);
    const protocols = new Map([[tenant.id, await moodProtocol(coordinator, 'Low mood', 'mood.score <= 2')], [otherTenant.id, await moodProtocol(foreignCoordinator, 'Low mood', 'mood.score <= 2')]]);
    const bySituation = { OWN: own, OTHER_IN_TENANT: other, OTHER_TENANT: foreign, AFTER_REMOVAL: removed, AFTER_CONSENT_REVOKED: revoked, UNDER_BREAK_GLASS: glass };
    for (const situation of SITUATIONS) markers.set(situation, await seedMarkers(ts.url, bySituation[situation], situation));
    await ts.server.services.alerting.runDue();
    for (const situation of SITUATIONS) {
      const p = bySituation[situation];
      const protocolId = protocols.get(situation === 'OTHER_TENANT' ? otherTenant.id : tenant.id)!;
      const [alert] = await rawSql(ts, 'select id from alert where patient_id = ? and protocol_id = ?', [p.id, protocolId]);
      if (!alert) throw new Error(`no alert was raised for ${situation}`);
      const research = await gqlOk<{ grantConsent: { id: string } }>(
        ts.url, `mutation($i: GrantConsentInput!) { grantConsent(input: $i) { id } }`,
        { i: { patientId: p.id, type: 'RESEARCH', categories: ['IDENTITY'], version: 'v1' } }, p.user!.token,
      );
      const [task] = await rawSql(ts, 'select id from follow_up_task where patient_id = ? and protocol_id = ?', [p.id, protocolId]);
      if (!task) throw new Error(`no follow-up task was created for ${situation}`);
      targets.set(situation, { patient: p, alertId: String(alert['id']), consentId: research.grantConsent.id, taskId: String(task['id']) });
    }
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  it('covers every patient-scoped operation of the access oracle', () => {
    const covered = new Set([...OPERATIONS, ...ACCESS_CHANGING].flatMap((op) => op.covers).concat(LIVE_COVERS));
    expect(PATIENT_SCOPED.filter((name) => !covered.has(name))).toEqual([]);
  });

  /** What of `body` the role must not see: one line per forbidden marker found, prefixed with `cell`. */
  const leaks = (role: Role, cell: string, body: string) => leaksIn(body, forbiddenMarkers(role, markers)).map((label) => `${cell}: carries ${label}`);

  /** Runs one operation for every role in every situation at once and lists what differs from the oracle or leaks. */
  async function mismatchesOf(op: Operation): Promise<string[]> {
    const cells = ROLES.flatMap((role) => SITUATIONS.map((situation) => ({ role, situation })));
    const results = await Promise.all(cells.map(async ({ role, situation }) => ({ role, situation, ...(await op.run(ts.url, users.get(role)!, targets.get(situation)!)) })));
    const mismatches: string[] = [];
    for (const { role, situation, outcome, body } of results) {
      const want = expected(op, role, situation);
      if (outcome !== want) mismatches.push(`${role} × ${situation}: expected ${want}, got ${outcome}`);
      mismatches.push(...leaks(role, `${role} × ${situation} (${outcome})`, body));
    }
    return mismatches;
  }

  it('gives each patient values of her own in every category but care team, so the leak scan has something to find', () => {
    const clinicalAndIdentity = ALL.filter((c) => c !== 'CARE_TEAM').sort();
    for (const [situation, list] of markers) expect({ situation, categories: [...new Set(list.map((m) => m.category))].sort() }).toEqual({ situation, categories: clinicalAndIdentity });
    const patterns = [...markers.values()].flat().map((m) => m.pattern.source);
    expect(new Set(patterns).size).toBe(patterns.length);
  });

  for (const op of OPERATIONS) {
    it(`${op.name}: every role in every situation gets what the access model says, and no response carries what the role may not see`, async () => {
      expect(await mismatchesOf(op)).toEqual([]);
    }, 120_000);
  }

  /** Logs a marked mood of `score` for every situation's patient, adding each note to her markers. */
  async function logMarkedMoods(score: number): Promise<void> {
    for (const [situation, { patient }] of targets) markers.get(situation)!.push(await logMarkedMood(ts.url, patient, situation, score));
  }

  it('live events: each role receives a MOOD update in exactly the situations the model allows, carrying nothing it may not see', async () => {
    const subscriptions: Array<{ role: Role; situation: Situation; live: Collector<LiveEvent> }> = [];
    const before = ts.server.services.feed.openedCount;
    let expectedLive = 0;
    for (const role of ROLES) {
      for (const situation of SITUATIONS) {
        const client = wsClient(ts.wsUrl, users.get(role)!.token);
        clients.push(client);
        const patient = targets.get(situation)!.patient;
        const live = collect<LiveEvent>(client, `subscription($p: [ID!]) { patientUpdates(patientIds: $p, kinds: [MOOD]) { cursor update { id kind data } } }`, { p: [patient.id] });
        subscriptions.push({ role, situation, live });
        if (PATIENT_AND_CLINICIANS.includes(role)) expectedLive += 1;
      }
    }
    await waitForLiveSince(ts, before + expectedLive - 1);
    await logMarkedMoods(1);
    await quietPeriod(1500);
    const mismatches: string[] = [];
    for (const { role, situation, live } of subscriptions) {
      const allowed = PATIENT_AND_CLINICIANS.includes(role) && categories(role, situation).has('MENTAL_HEALTH');
      const got = live.received.length;
      if (allowed && got !== 1) mismatches.push(`${role} × ${situation}: expected 1 event, got ${got}`);
      if (!allowed && got !== 0) mismatches.push(`${role} × ${situation}: expected no event, got ${got}`);
      if (!PATIENT_AND_CLINICIANS.includes(role) && !JSON.stringify(live.errors).includes('FORBIDDEN')) mismatches.push(`${role} × ${situation}: expected FORBIDDEN`);
      mismatches.push(...leaks(role, `${role} × ${situation} (live)`, JSON.stringify({ received: live.received, errors: live.errors })));
    }
    expect(mismatches).toEqual([]);
  }, 120_000);

  it('live alerts: each role is paged for exactly the patients whose care team it is on and whose alert category it reads, with nothing it may not see', async () => {
    const feeds = new Map<Role, Collector<{ alerts: { alert: { id: string; protocol: { id: string } } } }>>();
    const before = ts.server.services.feed.openedCount;
    for (const role of ROLES) {
      const client = wsClient(ts.wsUrl, users.get(role)!.token);
      clients.push(client);
      feeds.set(role, collect(client, 'subscription { alerts { cursor alert { id protocol { id } patient { familyName mrn } evidence { kind data } } } }'));
    }
    await waitForLiveSince(ts, before + CLINICIANS.length - 1);
    const coordinator = users.get('CARE_COORDINATOR')!;
    const protocolId = await moodProtocol(coordinator, 'Very low mood', 'mood.score == 1');
    const foreignCoordinator = await otherTenant.user('CARE_COORDINATOR');
    await moodProtocol(foreignCoordinator, 'Very low mood', 'mood.score == 1');
    await logMarkedMoods(1);
    await ts.server.services.alerting.runDue();
    await quietPeriod(1500);
    const situationOf = new Map<string, Situation>();
    for (const [situation, t] of targets) {
      for (const row of await rawSql(ts, 'select id from alert where patient_id = ? and protocol_id = ?', [t.patient.id, protocolId])) situationOf.set(String(row['id']), situation);
    }
    expect(situationOf.size).toBe(SITUATIONS.length - 1);
    const mismatches: string[] = [];
    for (const [role, feed] of feeds) {
      const got = feed.received.filter((e) => e.alerts.alert.protocol.id === protocolId).map((e) => situationOf.get(e.alerts.alert.id) ?? 'another tenant').sort();
      // Alerts reach care-team members by role: break-glass access reads an alert but is not paged for it.
      const want = CLINICIANS.includes(role) ? SITUATIONS.filter((s) => ON_TEAM.has(s) && categories(role, s).has('MENTAL_HEALTH')).sort() : [];
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${role}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
      if (!CLINICIANS.includes(role) && !JSON.stringify(feed.errors).includes('FORBIDDEN')) mismatches.push(`${role}: expected FORBIDDEN`);
      mismatches.push(...leaks(role, `${role} (live alerts)`, JSON.stringify({ received: feed.received, errors: feed.errors })));
    }
    expect(mismatches).toEqual([]);
  }, 120_000);

  for (const op of ACCESS_CHANGING) {
    it(`${op.name}: every role in every situation gets what the access model says, and no response carries what the role may not see`, async () => {
      expect(await mismatchesOf(op)).toEqual([]);
    }, 120_000);
  }
});
