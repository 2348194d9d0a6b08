import type { TestPatient, TestTenant, TestUser } from '../helpers/builders.js';
import { gqlOk } from '../helpers/graphql-client.js';
import { rawSql, type TestServer } from '../helpers/test-server.js';

/** The `alerts` subscription most alerting tests use. */
export const ALERTS = `subscription($since: String) {
  alerts(since: $since) {
    cursor action
    alert { id severity status protocol { id name } protocolVersion escalationTier escalationRound incompleteData acknowledgedBy acknowledgedAt
            evidence { id kind } }
  }
}`;

/** One received `alerts` payload (as selected by {@link ALERTS}). */
export interface AlertEventPayload {
  alerts: {
    cursor: string;
    action: string;
    alert: {
      id: string;
      severity: string;
      status: string;
      protocol: { id: string; name: string };
      protocolVersion: number;
      escalationTier: number | null;
      escalationRound: number | null;
      incompleteData: boolean;
      acknowledgedBy: string | null;
      acknowledgedAt: string | null;
      evidence: Array<{ id: string; kind: string }>;
    };
  };
}

/**
 * EPDS answers as option indexes (0–3) that score 0 on every item (items 1, 2, 4 score down the
 * options; the others are reverse-scored), except item 10 scored `item10` (0–3).
 */
export function epdsAnswers(item10: number): number[] {
  return [0, 0, 3, 0, 3, 3, 3, 3, 3, 3 - item10];
}

/** Submits an EPDS for a patient (as herself); returns the update id. */
export async function submitEpds(ts: TestServer, patient: TestPatient, item10: number): Promise<string> {
  const data = await gqlOk<{ submitScreening: { id: string } }>(
    ts.url,
    `mutation($input: SubmitScreeningInput!) { submitScreening(input: $input) { id } }`,
    { input: { patientId: patient.id, instrument: 'EPDS', answers: epdsAnswers(item10) } },
    patient.user!.token,
  );
  return data.submitScreening.id;
}

/** Runs one pass of the alerting worker (evaluations, schedules, escalations) on a server. */
export function runDue(ts: TestServer): ReturnType<TestServer['server']['services']['alerting']['runDue']> {
  return ts.server.services.alerting.runDue();
}

/** A care team for alerting tests: coordinator, mental-health specialist, GP, lactation consultant, and a patient with a login. */
export interface AlertingTeam {
  readonly coordinator: TestUser;
  readonly mentalHealth: TestUser;
  readonly gp: TestUser;
  readonly lactation: TestUser;
  readonly patient: TestPatient;
}

/** Builds an {@link AlertingTeam} in a tenant. */
export async function alertingTeam(tenant: TestTenant): Promise<AlertingTeam> {
  const coordinator = await tenant.user('CARE_COORDINATOR');
  const mentalHealth = await tenant.user('MENTAL_HEALTH_SPECIALIST');
  const gp = await tenant.user('PRIMARY_CARE_PROVIDER');
  const lactation = await tenant.user('LACTATION_CONSULTANT');
  const patient = await tenant.patient(coordinator, { team: [mentalHealth, gp, lactation], withLogin: true });
  return { coordinator, mentalHealth, gp, lactation, patient };
}

/** The id of a tenant's built-in protocol with this key (installing the library if needed). */
export async function builtInProtocolId(ts: TestServer, coordinator: TestUser, key: string): Promise<string> {
  const data = await gqlOk<{ protocols: Array<{ id: string; builtInKey: string | null }> }>(ts.url, '{ protocols { id builtInKey } }', {}, coordinator.token);
  const found = data.protocols.find((p) => p.builtInKey === key);
  if (!found) throw new Error(`no built-in protocol ${key}`);
  return found.id;
}

/** The alert history of one alert, oldest first, straight from the database. */
export function historyOf(ts: TestServer, alertId: string): Promise<Array<Record<string, unknown>>> {
  return rawSql(ts, 'select action, actor_id, actor_role, escalation_step, escalation_round, escalation_tier, seq from alert_history where alert_id = ? order by at, seq nulls first', [alertId]);
}

/** Alerts of a patient, straight from the database. */
export function alertsOf(ts: TestServer, patientId: string): Promise<Array<Record<string, unknown>>> {
  return rawSql(ts, 'select id, protocol_id, protocol_version_id, severity, status, escalation_step from alert where patient_id = ? order by opened_seq', [patientId]);
}

/** A custom protocol input on SCREENING routed to `routeTo`, paging `tiers` (roles, minutes) then the coordinator. */
export function screeningProtocolInput(options: {
  name?: string;
  condition?: string;
  severity?: string;
  routeTo?: string[];
  tiers?: Array<{ role: string; minutes: number }>;
  fallbackMinutes?: number;
  repeat?: number;
} = {}): Record<string, unknown> {
  return {
    name: options.name ?? 'Screening watch',
    description: 'Test protocol',
    trigger: { kinds: ['SCREENING'] },
    condition: options.condition ?? 'screening.total >= 0',
    severity: options.severity ?? 'WARNING',
    actions: [{ type: 'RAISE_ALERT', routeTo: options.routeTo ?? ['MENTAL_HEALTH_SPECIALIST'] }],
    escalation: {
      tiers: (options.tiers ?? [{ role: 'MENTAL_HEALTH_SPECIALIST', minutes: 10 }]).map((t) => ({ targets: [{ role: t.role }], ackTimeoutMinutes: t.minutes })),
      fallback: { targets: [{ role: 'CARE_COORDINATOR' }], ackTimeoutMinutes: options.fallbackMinutes ?? 10 },
      repeat: options.repeat ?? 0,
    },
    guideline: 'Local test rule',
  };
}

/** Creates a custom protocol as the coordinator; returns its id. */
export async function createProtocol(ts: TestServer, coordinator: TestUser, input: Record<string, unknown>): Promise<string> {
  const data = await gqlOk<{ createProtocol: { id: string } }>(
    ts.url,
    'mutation($input: ProtocolInput!) { createProtocol(input: $input) { id } }',
    { input },
    coordinator.token,
  );
  return data.createProtocol.id;
}
