import { getDirective } from '@graphql-tools/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/db/entities/index.js';
import { TestTenant, TEST_PASSWORD, type TestPatient, type TestUser } from '../helpers/builders.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { logFeeding, logMood } from '../helpers/live.js';
import { buildTestSchema } from '../helpers/schema.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { admits, CALLERS, CLINICIANS, OPERATION_ROLES, PATIENT_AND_CLINICIANS, type Caller } from './access-oracle.js';
import { call, deviceRegistration, moodProtocolInput, subscribeFor, UNKNOWN_ID, type CallResult } from './matrix-fixtures.js';

/** What the test set up: one user per role, a patient on everyone's team, devices, a protocol, a break-glass grant. */
interface Fixture {
  readonly ts: TestServer;
  readonly users: ReadonlyMap<Role, TestUser>;
  readonly patient: TestPatient;
  readonly spare: TestUser;
  readonly protocolId: string;
  readonly emergencyId: string;
}

/** What a caller the operation admits must get: data passing the check, or this error code. */
type Expect = { readonly data: (data: any, caller: Caller, f: Fixture) => boolean } | { readonly code: string };

interface OperationCase {
  /** `Query.x`, `Mutation.x` or `Subscription.x`. */
  readonly op: string;
  readonly query: string;
  /** Variables for a caller; may sign in afresh (logout, refresh) and return a token to use instead of the caller's. */
  readonly variables?: (f: Fixture, caller: Caller) => Record<string, unknown> | Promise<Record<string, unknown> & { $token?: string }>;
  readonly admitted: Expect | ((caller: Caller) => Expect);
}

const NOT_FOUND: Expect = { code: 'NOT_FOUND' };
const data = (check: (data: any, caller: Caller, f: Fixture) => boolean): Expect => ({ data: check });
const isList = (value: unknown) => Array.isArray(value);
const userOf = (f: Fixture, caller: Caller) => f.users.get(caller === 'ANONYMOUS' ? 'PATIENT' : caller)!;
/** Whom a caller sends a message to: the patient writes to every clinician on her team, a clinician to the patient. */
const peersOf = (f: Fixture, caller: Caller) => (caller === 'PATIENT' ? CLINICIANS.map((role) => f.users.get(role)!) : [f.patient.user!]);
/** A tenant cursor before every event: a subscription with it replays everything it may see first. */
const FROM_THE_START = Buffer.from('seq:0').toString('base64url');
/** Who cannot read the patient's mood (MENTAL_HEALTH) or her feeding (FEEDING) by default, of the two logged in the fixture. */
const SEES_ONE_OF_MOOD_AND_FEEDING: readonly Caller[] = ['LACTATION_CONSULTANT', 'MENTAL_HEALTH_SPECIALIST'];

async function freshSession(f: Fixture, caller: Caller): Promise<{ accessToken: string; refreshToken: string }> {
  const res = await gqlOk<{ login: { accessToken: string; refreshToken: string } }>(
    f.ts.url, 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }', { e: userOf(f, caller).email, p: TEST_PASSWORD },
  );
  return res.login;
}

const LC_DEFAULT = ['IDENTITY', 'CONTACT', 'FEEDING', 'INFANT', 'CARE_TEAM'];

/**
 * Every root operation, with a request every caller can send and what an admitted caller gets.
 * Patient-scoped operations are sent for a patient that does not exist here (admitted callers get
 * NOT_FOUND, which proves they passed the gate); their per-patient answers are the authorisation
 * matrix's. Cases run in this order: the device mutations come last, after what reads the devices.
 */
const CASES: OperationCase[] = [
  { op: 'Query.patient', query: 'query($id: ID!) { patient(id: $id) { id } }', variables: () => ({ id: UNKNOWN_ID }), admitted: NOT_FOUND },
  {
    op: 'Query.patients', query: '{ patients(first: 50) { edges { node { id } } } }',
    admitted: data((d, caller, f) => d.patients.edges.some((e: any) => e.node.id === f.patient.id) && (caller !== 'PATIENT' || d.patients.edges.length === 1)),
  },
  { op: 'Query.statusUpdates', query: 'query($p: ID!) { statusUpdates(patientId: $p) { edges { node { id } } } }', variables: () => ({ p: UNKNOWN_ID }), admitted: NOT_FOUND },
  { op: 'Query.consents', query: 'query($p: ID!) { consents(patientId: $p) { id } }', variables: () => ({ p: UNKNOWN_ID }), admitted: NOT_FOUND },
  {
    op: 'Query.me', query: '{ me { id role patient { id } } }',
    admitted: data((d, caller, f) => d.me.role === caller && d.me.id === userOf(f, caller).id && d.me.patient?.id === (caller === 'PATIENT' ? f.patient.id : undefined)),
  },
  { op: 'Query.screeningInstruments', query: '{ screeningInstruments { id } }', admitted: data((d) => d.screeningInstruments.map((i: any) => i.id).join() === 'EPDS,PHQ9,GAD7') },
  { op: 'Query.screeningInstrument', query: '{ screeningInstrument(id: EPDS) { items { number } } }', admitted: data((d) => d.screeningInstrument.items.length === 10) },
  { op: 'Query.alerts', query: '{ alerts { edges { node { id } } } }', admitted: data((d) => isList(d.alerts.edges)) },
  { op: 'Query.alert', query: 'query($id: ID!) { alert(id: $id) { id } }', variables: () => ({ id: UNKNOWN_ID }), admitted: NOT_FOUND },
  { op: 'Query.followUpTasks', query: '{ followUpTasks { edges { node { id } } } }', admitted: data((d) => isList(d.followUpTasks.edges)) },
  { op: 'Query.mySafetyMessages', query: '{ mySafetyMessages { template } }', admitted: data((d) => isList(d.mySafetyMessages)) },
  { op: 'Query.protocols', query: '{ protocols { id builtInKey } }', admitted: data((d, _c, f) => d.protocols.length > 10 && d.protocols.some((p: any) => p.id === f.protocolId)) },
  { op: 'Query.protocol', query: 'query($id: ID!) { protocol(id: $id) { id } }', variables: (f) => ({ id: f.protocolId }), admitted: data((d, _c, f) => d.protocol.id === f.protocolId) },
  {
    op: 'Query.simulateProtocol', query: 'query($i: ProtocolInput!, $p: ID!) { simulateProtocol(input: $i, patientId: $p) { outcome } }',
    variables: () => ({ i: moodProtocolInput('Probe', 'mood.score <= 2'), p: UNKNOWN_ID }), admitted: NOT_FOUND,
  },
  { op: 'Query.auditTrail', query: 'query($p: ID!) { auditTrail(patientId: $p) { edges { cursor } } }', variables: () => ({ p: UNKNOWN_ID }), admitted: NOT_FOUND },
  { op: 'Query.myAccessReport', query: '{ myAccessReport { edges { node { action } } } }', admitted: data((d) => d.myAccessReport.edges.length > 0) },
  { op: 'Query.verifyAuditChain', query: '{ verifyAuditChain { valid } }', admitted: data((d) => d.verifyAuditChain.valid === true) },
  { op: 'Query.complianceEvents', query: '{ complianceEvents { edges { cursor } } }', admitted: data((d) => isList(d.complianceEvents.edges)) },
  { op: 'Query.complianceThresholds', query: '{ complianceThresholds { failedLogins } }', admitted: data((d) => typeof d.complianceThresholds.failedLogins === 'number') },
  {
    op: 'Query.complianceReport', query: 'query($from: DateTimeISO!, $to: DateTimeISO!) { complianceReport(from: $from, to: $to) { accesses { count } } }',
    variables: () => ({ from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() }),
    admitted: data((d) => d.complianceReport.accesses.length > 0),
  },
  {
    op: 'Query.pendingEmergencyAccessReviews', query: '{ pendingEmergencyAccessReviews { id } }',
    admitted: data((d, _c, f) => d.pendingEmergencyAccessReviews.some((g: any) => g.id === f.emergencyId)),
  },
  { op: 'Query.liveRouting', query: '{ liveRouting { kind roles } }', admitted: data((d) => d.liveRouting.length === 7) },
  { op: 'Query.quietHours', query: '{ quietHours { start end timeZone } }', admitted: data((d) => d.quietHours === null || d.quietHours.start === '22:00') },
  { op: 'Query.researchCohort', query: '{ researchCohort(criteria: { categories: [IDENTITY] }) { k groups { group patients } } }', admitted: data((d) => d.researchCohort.k === 11 && isList(d.researchCohort.groups)) },
  { op: 'Query.outcomeMetrics', query: '{ outcomeMetrics(criteria: { metric: EPDS_MEAN_TOTAL }) { k } }', admitted: data((d) => d.outcomeMetrics.k === 11) },
  { op: 'Query.rolePermissions', query: '{ rolePermissions { role categories } }', admitted: data((d) => d.rolePermissions.length === 6) },
  { op: 'Query.tenantSecurityPolicy', query: '{ tenantSecurityPolicy { requireTotpForClinicians } }', admitted: data((d) => d.tenantSecurityPolicy.requireTotpForClinicians === false) },
  { op: 'Query.myDevices', query: '{ myDevices { deviceId } }', admitted: data((d) => d.myDevices.length === 1 && d.myDevices[0].deviceId === 1) },
  { op: 'Query.preKeyCount', query: '{ preKeyCount(deviceId: 1) { deviceId preKeys } }', admitted: data((d) => d.preKeyCount.deviceId === 1 && d.preKeyCount.preKeys === 0) },
  { op: 'Query.preKeyBundles', query: 'query($u: ID!) { preKeyBundles(userId: $u) { deviceId } }', variables: () => ({ u: UNKNOWN_ID }), admitted: NOT_FOUND },

  {
    op: 'Mutation.login', query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { user { role } } }',
    variables: (f, caller) => ({ e: userOf(f, caller).email, p: TEST_PASSWORD }),
    admitted: data((d, caller) => d.login.user.role === (caller === 'ANONYMOUS' ? 'PATIENT' : caller)),
  },
  {
    op: 'Mutation.refreshSession', query: 'mutation($r: String!) { refreshSession(refreshToken: $r) { user { role } } }',
    variables: async (f, caller) => ({ r: (await freshSession(f, caller)).refreshToken }),
    admitted: data((d, caller) => d.refreshSession.user.role === (caller === 'ANONYMOUS' ? 'PATIENT' : caller)),
  },
  {
    op: 'Mutation.logout', query: 'mutation { logout }',
    variables: async (f, caller) => (caller === 'ANONYMOUS' ? {} : { $token: (await freshSession(f, caller)).accessToken }),
    admitted: data((d) => d.logout === true),
  },
  {
    op: 'Mutation.beginTotpEnrolment', query: 'mutation { beginTotpEnrolment { secret } }',
    admitted: (caller) => (caller === 'ANONYMOUS' ? { code: 'UNAUTHENTICATED' } : data((d) => d.beginTotpEnrolment.secret.length >= 32)),
  },
  // A wrong code (one failed attempt per account, far below the lockout): the enrolment begun above is not confirmed.
  {
    op: 'Mutation.confirmTotpEnrolment', query: 'mutation { confirmTotpEnrolment(code: "000000") { recoveryCodes } }',
    admitted: (caller) => ({ code: caller === 'ANONYMOUS' ? 'UNAUTHENTICATED' : 'BAD_USER_INPUT' }),
  },
  { op: 'Mutation.disableTotp', query: 'mutation { disableTotp(code: "000000") }', admitted: (caller) => ({ code: caller === 'ANONYMOUS' ? 'UNAUTHENTICATED' : 'CONFLICT' }) },
  {
    op: 'Mutation.createUser', query: 'mutation($i: CreateUserInput!) { createUser(input: $i) { role } }',
    variables: () => ({ i: { email: `made-${crypto.randomUUID()}@test.example`, password: TEST_PASSWORD, role: 'MIDWIFE', displayName: 'New midwife' } }),
    admitted: data((d) => d.createUser.role === 'MIDWIFE'),
  },
  {
    op: 'Mutation.setUserDisabled', query: 'mutation($u: ID!) { setUserDisabled(userId: $u, disabled: false) { id } }',
    variables: (f) => ({ u: f.spare.id }), admitted: data((d, _c, f) => d.setUserDisabled.id === f.spare.id),
  },
  { op: 'Mutation.resetSecondFactor', query: 'mutation($u: ID!) { resetSecondFactor(userId: $u) }', variables: (f) => ({ u: f.spare.id }), admitted: data((d) => d.resetSecondFactor === false) },
  {
    op: 'Mutation.setRolePermissions', query: 'mutation($c: [DataCategory!]!) { setRolePermissions(role: LACTATION_CONSULTANT, categories: $c) { categories } }',
    variables: () => ({ c: LC_DEFAULT }), admitted: data((d) => JSON.stringify(d.setRolePermissions.categories) === JSON.stringify(LC_DEFAULT)),
  },
  {
    op: 'Mutation.setTenantSecurityPolicy', query: 'mutation { setTenantSecurityPolicy(requireTotpForClinicians: false) { requireTotpForClinicians } }',
    admitted: data((d) => d.setTenantSecurityPolicy.requireTotpForClinicians === false),
  },
  {
    op: 'Mutation.setQuietHours', query: 'mutation { setQuietHours(input: { start: "22:00", end: "07:00", timeZone: "Europe/London" }) { start end timeZone } }',
    admitted: data((d) => d.setQuietHours.timeZone === 'Europe/London'),
  },
  {
    op: 'Mutation.setLiveRouting', query: 'mutation { setLiveRouting(kind: INFANT_VITALS, roles: [PRIMARY_CARE_PROVIDER, MIDWIFE]) { kind roles } }',
    admitted: data((d) => d.setLiveRouting.find((r: any) => r.kind === 'INFANT_VITALS').roles.length === 2),
  },
  { op: 'Mutation.setComplianceThresholds', query: 'mutation { setComplianceThresholds(input: {}) { failedLogins } }', admitted: data((d) => typeof d.setComplianceThresholds.failedLogins === 'number') },
  {
    op: 'Mutation.createPatient', query: 'mutation($i: CreatePatientInput!) { createPatient(input: $i) { id } }',
    variables: () => ({ i: { givenName: 'New', familyName: 'Mother', birthDate: '1990-01-01', deliveryDate: new Date(Date.now() - 5 * 86_400_000).toISOString().slice(0, 10) } }),
    admitted: data((d) => typeof d.createPatient.id === 'string'),
  },
  {
    op: 'Mutation.addInfant', query: 'mutation($p: ID!, $i: AddInfantInput!) { addInfant(patientId: $p, input: $i) { id } }',
    variables: () => ({ p: UNKNOWN_ID, i: { givenName: 'Twin', birthDate: '2026-11-01', birthWeightGrams: 2900 } }), admitted: NOT_FOUND,
  },
  {
    op: 'Mutation.assignCareTeamMember', query: 'mutation($p: ID!, $u: ID!) { assignCareTeamMember(patientId: $p, userId: $u, role: MIDWIFE) { id } }',
    variables: (f) => ({ p: UNKNOWN_ID, u: f.spare.id }), admitted: NOT_FOUND,
  },
  {
    op: 'Mutation.removeCareTeamMember', query: 'mutation($p: ID!, $u: ID!) { removeCareTeamMember(patientId: $p, userId: $u) }',
    variables: (f) => ({ p: UNKNOWN_ID, u: f.spare.id }), admitted: NOT_FOUND,
  },
  ...(
    [
      ['logMood', 'LogMoodInput', { score: 3 }],
      ['logFeeding', 'LogFeedingInput', { infantId: UNKNOWN_ID, method: 'FORMULA' }],
      ['logSleep', 'LogSleepInput', { hours: 4 }],
      ['logVitals', 'LogVitalsInput', { systolic: 120, diastolic: 80 }],
      ['logInfantVitals', 'LogInfantVitalsInput', { infantId: UNKNOWN_ID, weightGrams: 3600 }],
      ['logSymptoms', 'LogSymptomsInput', { symptoms: ['PERSISTENT_HEADACHE'] }],
      ['submitScreening', 'SubmitScreeningInput', { instrument: 'GAD7', answers: [0, 0, 0, 0, 0, 0, 0] }],
    ] as const
  ).map(([name, type, input]): OperationCase => ({
    op: `Mutation.${name}`, query: `mutation($i: ${type}!) { ${name}(input: $i) { id } }`, variables: () => ({ i: { patientId: UNKNOWN_ID, ...input } }), admitted: NOT_FOUND,
  })),
  {
    op: 'Mutation.deleteStatusUpdate', query: 'mutation($id: ID!) { deleteStatusUpdate(id: $id, reason: ENTERED_IN_ERROR) { id } }',
    variables: () => ({ id: UNKNOWN_ID }), admitted: NOT_FOUND,
  },
  {
    op: 'Mutation.grantConsent', query: 'mutation($i: GrantConsentInput!) { grantConsent(input: $i) { id } }',
    variables: () => ({ i: { patientId: UNKNOWN_ID, type: 'RESEARCH', categories: ['IDENTITY'], version: 'v1' } }), admitted: NOT_FOUND,
  },
  { op: 'Mutation.revokeConsent', query: 'mutation($id: ID!) { revokeConsent(id: $id) { id } }', variables: () => ({ id: UNKNOWN_ID }), admitted: NOT_FOUND },
  {
    op: 'Mutation.requestEmergencyAccess', query: 'mutation($p: ID!) { requestEmergencyAccess(patientId: $p, justification: "Collapsed in clinic; her own team is unreachable.") { id } }',
    variables: () => ({ p: UNKNOWN_ID }), admitted: NOT_FOUND,
  },
  {
    op: 'Mutation.reviewEmergencyAccess', query: 'mutation($id: ID!) { reviewEmergencyAccess(id: $id, outcome: APPROPRIATE, note: "Reviewed with the ward.") { id } }',
    variables: (f) => ({ id: f.emergencyId }), admitted: data((d, _c, f) => d.reviewEmergencyAccess.id === f.emergencyId),
  },
  { op: 'Mutation.acknowledgeAlert', query: 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', variables: () => ({ id: UNKNOWN_ID }), admitted: NOT_FOUND },
  { op: 'Mutation.resolveAlert', query: 'mutation($id: ID!) { resolveAlert(id: $id, note: "done") { id } }', variables: () => ({ id: UNKNOWN_ID }), admitted: NOT_FOUND },
  { op: 'Mutation.completeFollowUpTask', query: 'mutation($id: ID!) { completeFollowUpTask(id: $id) { id } }', variables: () => ({ id: UNKNOWN_ID }), admitted: NOT_FOUND },
  {
    op: 'Mutation.createProtocol', query: 'mutation($i: ProtocolInput!) { createProtocol(input: $i) { id } }',
    variables: () => ({ i: moodProtocolInput(`Made ${crypto.randomUUID()}`, 'mood.score < 0') }), admitted: data((d) => typeof d.createProtocol.id === 'string'),
  },
  {
    op: 'Mutation.updateProtocol', query: 'mutation($id: ID!) { updateProtocol(id: $id, input: { changeNote: "Probe", activate: false }) { id } }',
    variables: (f) => ({ id: f.protocolId }), admitted: data((d, _c, f) => d.updateProtocol.id === f.protocolId),
  },
  {
    op: 'Mutation.setProtocolEnabled', query: 'mutation($id: ID!) { setProtocolEnabled(id: $id, enabled: true) { id } }',
    variables: (f) => ({ id: f.protocolId }), admitted: data((d, _c, f) => d.setProtocolEnabled.id === f.protocolId),
  },
  {
    op: 'Mutation.activateProtocolVersion', query: 'mutation($id: ID!) { activateProtocolVersion(id: $id, version: 1) { id } }',
    variables: (f) => ({ id: f.protocolId }), admitted: data((d, _c, f) => d.activateProtocolVersion.id === f.protocolId),
  },
  {
    op: 'Mutation.sendMessage', query: 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { envelopes } }',
    variables: (f, caller) => ({
      i: { senderDeviceId: 1, messages: peersOf(f, caller).map((peer) => ({ recipientUserId: peer.id, recipientDeviceId: 1, type: 3, body: 'AAECAw==' })) },
    }),
    admitted: data((d, caller) => d.sendMessage.envelopes === (caller === 'PATIENT' ? CLINICIANS.length : 1)),
  },
  { op: 'Mutation.ackMessages', query: 'mutation { ackMessages(ids: [], deviceId: 1) }', admitted: data((d) => d.ackMessages === 0) },

  // Admission is shown by delivery: each admitted caller replays from the start what it may see of
  // the mood and the feeding the patient logged in the fixture, and the alerts and compliance event they raised.
  {
    op: 'Subscription.patientUpdates', query: 'subscription($s: String, $p: [ID!]) { patientUpdates(since: $s, patientIds: $p, kinds: [MOOD, FEEDING]) { cursor update { kind } } }',
    variables: (f) => ({ s: FROM_THE_START, p: [f.patient.id] }),
    admitted: data((events, caller) => events.length === (SEES_ONE_OF_MOOD_AND_FEEDING.includes(caller) ? 1 : 2)),
  },
  { op: 'Subscription.alerts', query: 'subscription($s: String) { alerts(since: $s) { cursor } }', variables: () => ({ s: FROM_THE_START }), admitted: data((events) => events.length >= 1) },
  {
    op: 'Subscription.complianceEvents', query: 'subscription($s: String) { complianceEvents(since: $s) { cursor } }',
    variables: () => ({ s: FROM_THE_START }), admitted: data((events) => events.length >= 1),
  },
  // Every clinician sent the patient one envelope and the patient sent each of them one (sendMessage above).
  {
    op: 'Subscription.inbox', query: 'subscription { inbox(deviceId: 1) { id senderUserId } }',
    admitted: data((events, caller) => events.length === (caller === 'PATIENT' ? CLINICIANS.length : 1)),
  },
  // Devices have no one-time prekeys, so the alert comes at once.
  { op: 'Subscription.preKeysLow', query: 'subscription { preKeysLow(deviceId: 1) { deviceId low } }', admitted: data((events) => events.length === 1 && events[0].preKeysLow.low === true) },

  {
    op: 'Mutation.uploadPreKeys', query: 'mutation { uploadPreKeys(deviceId: 1, preKeys: [], kyberPreKeys: []) { deviceId preKeys } }',
    admitted: data((d) => d.uploadPreKeys.deviceId === 1 && d.uploadPreKeys.preKeys === 0),
  },
  {
    op: 'Mutation.registerDevice', query: 'mutation($i: RegisterDeviceInput!) { registerDevice(input: $i) { deviceId } }',
    variables: () => ({ i: deviceRegistration() }), admitted: data((d) => d.registerDevice.deviceId === 2),
  },
  { op: 'Mutation.removeDevice', query: 'mutation { removeDevice(deviceId: 2) }', admitted: data((d) => d.removeDevice === true) },
];

/** What the oracle expects of a caller: UNAUTHENTICATED without sign-in, FORBIDDEN outside the roles, else the case's answer. */
function expectationFor(c: OperationCase, caller: Caller): Expect {
  if (!admits(c.op, caller)) return { code: caller === 'ANONYMOUS' ? 'UNAUTHENTICATED' : 'FORBIDDEN' };
  return typeof c.admitted === 'function' ? c.admitted(caller) : c.admitted;
}

async function run(f: Fixture, c: OperationCase, caller: Caller): Promise<CallResult> {
  const { $token, ...variables } = ((await c.variables?.(f, caller)) ?? {}) as Record<string, unknown> & { $token?: string };
  const token = $token ?? (caller === 'ANONYMOUS' ? null : f.users.get(caller)!.token);
  if (c.op.startsWith('Subscription.')) {
    const want = expectationFor(c, caller);
    return subscribeFor(f.ts.wsUrl, c.query, variables, token, (received) => 'data' in want && want.data(received, caller, f));
  }
  return call(f.ts.url, c.query, variables, token);
}

describe('every operation for every caller', () => {
  let f: Fixture;

  beforeAll(async () => {
    const ts = await startTestServer();
    const tenant = await TestTenant.create(ts);
    const users = new Map<Role, TestUser>([['ADMIN', tenant.admin]]);
    for (const role of ['RESEARCHER', 'COMPLIANCE_OFFICER', ...CLINICIANS] as Role[]) users.set(role, await tenant.user(role));
    const coordinator = users.get('CARE_COORDINATOR')!;
    const patient = await tenant.patient(coordinator, { team: CLINICIANS.filter((r) => r !== 'CARE_COORDINATOR').map((r) => users.get(r)!), withLogin: true });
    users.set('PATIENT', patient.user!);
    // Someone read her record, so her access report has a line.
    await gqlOk(ts.url, 'query($id: ID!) { patient(id: $id) { givenName } }', { id: patient.id }, users.get('MIDWIFE')!.token);
    const spare = await tenant.user('MIDWIFE');
    const stranger = await tenant.patient(coordinator);
    const emergency = await gqlOk<{ requestEmergencyAccess: { id: string } }>(
      ts.url, 'mutation($p: ID!) { requestEmergencyAccess(patientId: $p, justification: "Collapsed in clinic; her own team is unreachable.") { id } }',
      { p: stranger.id }, spare.token,
    );
    const protocol = await gqlOk<{ createProtocol: { id: string } }>(
      ts.url, 'mutation($i: ProtocolInput!) { createProtocol(input: $i) { id } }', { i: moodProtocolInput('Low mood', 'mood.score <= 1') }, coordinator.token,
    );
    // An alert about feeding, for the lactation consultant (who may not read the low-mood alert).
    const feedingProtocol = {
      ...moodProtocolInput('Any feed', 'feeding.durationMinutes > 0'),
      trigger: { kinds: ['FEEDING'] },
      actions: [{ type: 'RAISE_ALERT', routeTo: CLINICIANS }],
    };
    await gqlOk(ts.url, 'mutation($i: ProtocolInput!) { createProtocol(input: $i) { id } }', { i: feedingProtocol }, coordinator.token);
    await logMood(ts.url, patient, 1);
    await logFeeding(ts.url, patient);
    for (const role of PATIENT_AND_CLINICIANS) {
      await gqlOk(ts.url, 'mutation($i: RegisterDeviceInput!) { registerDevice(input: $i) { deviceId } }', { i: deviceRegistration() }, users.get(role)!.token);
    }
    f = { ts, users, patient, spare, protocolId: protocol.createProtocol.id, emergencyId: emergency.requestEmergencyAccess.id };
  });
  afterAll(async () => {
    await f?.ts.close();
  });

  it('lists every root operation of the schema, with the roles its @auth rule declares', async () => {
    const schema = await buildTestSchema();
    const inSchema: string[] = [];
    const disagreements: string[] = [];
    for (const root of [schema.getQueryType()!, schema.getMutationType()!, schema.getSubscriptionType()!]) {
      for (const field of Object.values(root.getFields())) {
        const coordinate = `${root.name}.${field.name}`;
        inSchema.push(coordinate);
        const rule = getDirective(schema, field, 'auth')?.[0] ?? {};
        const declared = rule['public'] === true ? 'PUBLIC' : rule['roles'] ? [...(rule['roles'] as string[])].sort() : 'SIGNED_IN';
        const oracle = OPERATION_ROLES[coordinate];
        const restated = typeof oracle === 'string' || oracle === undefined ? oracle : [...oracle].sort();
        if (oracle !== undefined && JSON.stringify(declared) !== JSON.stringify(restated)) disagreements.push(`${coordinate}: schema ${JSON.stringify(declared)}, oracle ${JSON.stringify(restated)}`);
      }
    }
    expect(inSchema.filter((op) => !(op in OPERATION_ROLES)), 'operations the access oracle does not list').toEqual([]);
    expect(Object.keys(OPERATION_ROLES).filter((op) => !inSchema.includes(op)), 'oracle entries the schema no longer has').toEqual([]);
    expect(disagreements).toEqual([]);
    expect(CASES.map((c) => c.op).sort()).toEqual(Object.keys(OPERATION_ROLES).sort());
  });

  for (const c of CASES) {
    it(`${c.op}: each caller is refused or answered as the access model says`, async () => {
      const results = await Promise.all(CALLERS.map(async (caller) => ({ caller, result: await run(f, c, caller) })));
      const mismatches: string[] = [];
      for (const { caller, result } of results) {
        const want = expectationFor(c, caller);
        if ('code' in want) {
          if (result.code !== want.code) mismatches.push(`${caller}: expected ${want.code}, got ${result.code ?? 'data'} ${result.body.slice(0, 300)}`);
        } else if (result.code !== null || !want.data(result.data, caller, f)) {
          mismatches.push(`${caller}: expected data, got ${result.body.slice(0, 300)}`);
        }
        // A refusal never carries data (a refused nullable root field reads as null, which carries none).
        if (result.code === 'FORBIDDEN' || result.code === 'UNAUTHENTICATED') {
          const value = Array.isArray(result.data) ? result.data.length : result.data && Object.values(result.data).some((v) => v !== null);
          if (value) mismatches.push(`${caller}: a refusal carried data ${result.body.slice(0, 300)}`);
        }
      }
      expect(mismatches).toEqual([]);
    }, 60_000);
  }
});
