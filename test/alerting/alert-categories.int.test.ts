import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk, wsClient, type Collector } from '../helpers/graphql-client.js';
import { logFeeding, logMood, subscribeLive } from '../helpers/live.js';
import { rawSql, startTestServerWithClock, type TestServer } from '../helpers/test-server.js';
import { BY_CARE_TEAM_ROLE, type Category } from '../auth/access-oracle.js';
import { ALERTS, createProtocol, runDue, type AlertEventPayload } from './alerting-helpers.js';

const MINUTE = 60_000;
/** The clock moves past escalation timeouts: tokens and sessions must outlive that. */
const LONG_SESSIONS = { CRADLE_ACCESS_TOKEN_TTL_SECONDS: '3600', CRADLE_SESSION_IDLE_MINUTES: '1440', CRADLE_SESSION_MAX_HOURS: '720' };
const UPDATES = 'query($p: ID!, $k: [StatusKind!]) { statusUpdates(patientId: $p, kinds: $k) { edges { node { id kind } } } }';
const ALERT = 'query($id: ID!) { alert(id: $id) { id protocol { id } evidence { id kind } } }';
const ALERT_LIST = '{ alerts(first: 100) { edges { node { id protocol { id } } } } }';
const TASKS = 'query($p: ID) { followUpTasks(patientId: $p, first: 100) { edges { node { id protocolId } } } }';

/** EPDS option indexes scoring 15 (the probable band) with item 10 (self-harm) at 0. */
const EPDS_15 = [3, 3, 0, 3, 0, 3, 3, 3, 3, 3];

/**
 * A FEEDING-triggered protocol routed to the midwife, paging the lactation consultant, then the
 * coordinator (fallback), with a task for the lactation consultant.
 */
function feedingProtocol(name: string, condition: string): Record<string, unknown> {
  return {
    name,
    description: 'Category leak probe',
    trigger: { kinds: ['FEEDING'] },
    condition,
    severity: 'WARNING',
    actions: [
      { type: 'RAISE_ALERT', routeTo: ['MIDWIFE'] },
      { type: 'CREATE_TASK', title: `Follow up: ${name}`, assignTo: 'LACTATION_CONSULTANT', dueInMinutes: 240 },
    ],
    escalation: {
      tiers: [{ targets: [{ role: 'LACTATION_CONSULTANT' }], ackTimeoutMinutes: 10 }],
      fallback: { targets: [{ role: 'CARE_COORDINATOR' }], ackTimeoutMinutes: 10 },
      repeat: 0,
    },
    guideline: 'Local test rule',
  };
}

/** The protocol ids of the alert events a feed received, in order, among `ours`. */
const protocolsOf = (feed: Collector<AlertEventPayload>, ours: ReadonlySet<string>) => feed.received.map((e) => e.alerts.alert.protocol.id).filter((id) => ours.has(id));

/** Waits (on events, never on time) until a feed has received `count` events of `ours`. */
async function waitForOurs(feed: Collector<AlertEventPayload>, ours: ReadonlySet<string>, count: number): Promise<void> {
  while (protocolsOf(feed, ours).length < count) await feed.waitFor(feed.received.length + 1);
}

/**
 * Security finding 2: an alert took the category of the update kind that triggered it, while its
 * condition's window functions read every kind of history. A FEEDING-triggered rule over the EPDS
 * and mood history told a coordinator (consent limited to FEEDING and INFANT) and a lactation
 * consultant (no MENTAL_HEALTH by role) her EPDS band and mood. An alert now carries every category
 * its condition reads and reaches only those whose grant covers them all: in lists, single reads,
 * live delivery, escalation pages, follow-up tasks and evidence.
 */
describe('alert visibility follows every category the condition reads', () => {
  let ts: TestServer;
  let clock: { now: number };
  let coordinator: TestUser;
  let lactation: TestUser;
  let midwife: TestUser;
  let patient: TestPatient;
  const clients: Client[] = [];
  const feed = async (user: TestUser) => {
    const client = wsClient(ts.wsUrl, user.token);
    clients.push(client);
    return subscribeLive<AlertEventPayload>(ts, client, ALERTS);
  };

  beforeAll(async () => {
    ({ ts, clock } = await startTestServerWithClock(Date.now(), { env: { CRADLE_ALERTING_POLL_MS: '60000', ...LONG_SESSIONS } }));
    const tenant = await TestTenant.create(ts);
    coordinator = await tenant.user('CARE_COORDINATOR');
    lactation = await tenant.user('LACTATION_CONSULTANT');
    midwife = await tenant.user('MIDWIFE');
    patient = await tenant.patient(coordinator, { team: [lactation, midwife], withLogin: true });
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await ts?.close();
  });

  it('keeps FEEDING-triggered alerts over her EPDS and mood history from a coordinator and a lactation consultant who may not read them, live, paged and listed', async () => {
    await gqlOk(ts.url, 'mutation($i: GrantConsentInput!) { grantConsent(input: $i) { id } }', {
      i: { patientId: patient.id, type: 'CARE_COORDINATION', categories: ['FEEDING', 'INFANT'], version: 'cc-1' },
    }, patient.user!.token);
    const epds = await gqlOk<{ submitScreening: { id: string } }>(ts.url, 'mutation($i: SubmitScreeningInput!) { submitScreening(input: $i) { id } }', {
      i: { patientId: patient.id, instrument: 'EPDS', answers: EPDS_15 },
    }, patient.user!.token);
    const mood = await logMood(ts.url, patient, 1);
    await runDue(ts);
    // The premise: neither may read her screenings or moods.
    for (const user of [coordinator, lactation]) {
      const seen = await gqlOk<{ statusUpdates: { edges: unknown[] } }>(ts.url, UPDATES, { p: patient.id, k: ['SCREENING', 'MOOD'] }, user.token);
      expect(seen.statusUpdates.edges).toEqual([]);
    }

    const epdsRule = await createProtocol(ts, coordinator, feedingProtocol('EPDS band over feeds', 'latest("SCREENING:EPDS", "total") >= 13.0'));
    const moodRule = await createProtocol(ts, coordinator, feedingProtocol('Mood over feeds', 'min("MOOD", "score", days(2)) <= 1.0'));
    // The positive control: a rule that reads only the feed, created last so its events come last.
    const feedRule = await createProtocol(ts, coordinator, feedingProtocol('Any feed', 'feeding.durationMinutes > 0.0'));
    const leaky = new Set([epdsRule, moodRule]);
    const ours = new Set([epdsRule, moodRule, feedRule]);
    const feeds = { coordinator: await feed(coordinator), lactation: await feed(lactation), midwife: await feed(midwife) };

    const feeding = await logFeeding(ts.url, patient);
    await runDue(ts);
    // Tier 1 (the lactation consultant) is paged at once; the midwife is on the routing.
    await waitForOurs(feeds.midwife, ours, 3);
    expect([...protocolsOf(feeds.midwife, ours)].sort()).toEqual([epdsRule, moodRule, feedRule].sort());
    await waitForOurs(feeds.lactation, ours, 1);
    // Past tier 1's timeout the coordinator (fallback) is paged, and everyone paged before is told.
    clock.now += 10 * MINUTE + 1000;
    await runDue(ts);
    await waitForOurs(feeds.midwife, ours, 6);
    await waitForOurs(feeds.lactation, ours, 2);
    await waitForOurs(feeds.coordinator, ours, 1);
    // Events arrive in cursor order, and the control's come after the others': were a leaky page sent, it would be here.
    expect(protocolsOf(feeds.lactation, ours)).toEqual([feedRule, feedRule]);
    expect(protocolsOf(feeds.coordinator, ours)).toEqual([feedRule]);
    expect(feeds.coordinator.received.find((e) => e.alerts.alert.protocol.id === feedRule)!.alerts.action).toBe('PAGED');

    const alertIds = new Map((await rawSql(ts, 'select id, protocol_id from alert where patient_id = ?', [patient.id])).map((r) => [String(r['protocol_id']), String(r['id'])]));
    const listed = async (user: TestUser) =>
      (await gqlOk<{ alerts: { edges: Array<{ node: { protocol: { id: string } } }> } }>(ts.url, ALERT_LIST, {}, user.token)).alerts.edges
        .map((e) => e.node.protocol.id).filter((id) => leaky.has(id) || id === feedRule).sort();
    expect(await listed(coordinator)).toEqual([feedRule]);
    expect(await listed(lactation)).toEqual([feedRule]);
    expect(await listed(midwife)).toEqual([epdsRule, moodRule, feedRule].sort());
    for (const user of [coordinator, lactation]) {
      for (const rule of leaky) {
        expect(errorOf(await gql(ts.url, ALERT, { id: alertIds.get(rule) }, user.token))).toEqual({ code: 'NOT_FOUND', field: 'id' });
        expect(errorOf(await gql(ts.url, 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: alertIds.get(rule) }, user.token)).code).toBe('NOT_FOUND');
      }
      expect((await gqlOk<{ alert: { id: string } }>(ts.url, ALERT, { id: alertIds.get(feedRule) }, user.token)).alert.id).toBe(alertIds.get(feedRule));
    }
    // The midwife reads each alert with the evidence its condition used.
    const epdsAlert = await gqlOk<{ alert: { evidence: Array<{ id: string; kind: string }> } }>(ts.url, ALERT, { id: alertIds.get(epdsRule) }, midwife.token);
    expect(epdsAlert.alert.evidence.map((e) => e.id).sort()).toEqual([epds.submitScreening.id, feeding.id].sort());
    const moodAlert = await gqlOk<{ alert: { evidence: Array<{ id: string; kind: string }> } }>(ts.url, ALERT, { id: alertIds.get(moodRule) }, midwife.token);
    expect(moodAlert.alert.evidence.map((e) => e.id).sort()).toEqual([mood.id, feeding.id].sort());
    expect((await rawSql(ts, 'select categories from alert where id = ?', [alertIds.get(epdsRule)]))[0]!['categories']).toEqual(['FEEDING', 'MENTAL_HEALTH']);

    // Their follow-up tasks follow the same rule.
    const tasksOf = async (user: TestUser) =>
      (await gqlOk<{ followUpTasks: { edges: Array<{ node: { id: string; protocolId: string } }> } }>(ts.url, TASKS, { p: patient.id }, user.token)).followUpTasks.edges
        .map((e) => e.node.protocolId).filter((id) => leaky.has(id) || id === feedRule).sort();
    expect(await tasksOf(lactation)).toEqual([feedRule]);
    expect(await tasksOf(coordinator)).toEqual([feedRule]);
    expect(await tasksOf(midwife)).toEqual([epdsRule, moodRule, feedRule].sort());
    const [leakyTask] = await rawSql(ts, 'select id from follow_up_task where protocol_id = ?', [epdsRule]);
    const completed = await gql(ts.url, 'mutation($id: ID!) { completeFollowUpTask(id: $id) { id } }', { id: leakyTask!['id'] }, lactation.token);
    expect(errorOf(completed)).toEqual({ code: 'NOT_FOUND', field: 'id' });
  });

  it('shows an alert only the evidence its reader may read, each item by its own category', async () => {
    // An alert whose categories a reader covers, with one evidence item of a category she lacks
    // (as an inconsistent or legacy row could have): the alert is read, the item is left out.
    const feedRule = await createProtocol(ts, coordinator, feedingProtocol('Feed evidence', 'feeding.durationMinutes > 1.0'));
    const feeding = await logFeeding(ts.url, patient);
    await runDue(ts);
    const [alert] = await rawSql(ts, 'select id, tenant_id from alert where protocol_id = ?', [feedRule]);
    const mood = await logMood(ts.url, patient, 2);
    await rawSql(ts, 'insert into alert_evidence (tenant_id, alert_id, status_update_id, added_at) values (?, ?, ?, now())', [alert!['tenant_id'], alert!['id'], mood.id]);
    const read = (user: TestUser) => gqlOk<{ alert: { evidence: Array<{ id: string }> } }>(ts.url, ALERT, { id: alert!['id'] }, user.token);
    expect((await read(lactation)).alert.evidence.map((e) => e.id)).toEqual([feeding.id]);
    expect((await read(midwife)).alert.evidence.map((e) => e.id).sort()).toEqual([feeding.id, mood.id].sort());
  });

  it('widens an open alert to the categories a later match read, so it leaves those who may not read them', async () => {
    const rule = await createProtocol(ts, coordinator, feedingProtocol('Widened', 'feeding.durationMinutes > 2.0'));
    await logFeeding(ts.url, patient);
    await runDue(ts);
    const [row] = await rawSql(ts, 'select id from alert where protocol_id = ?', [rule]);
    const read = (user: TestUser) => gql<{ alert: { id: string } }>(ts.url, ALERT, { id: row!['id'] }, user.token);
    expect((await read(lactation)).data?.alert.id).toBe(row!['id']);
    await gqlOk(ts.url, 'mutation($id: ID!, $input: UpdateProtocolInput!) { updateProtocol(id: $id, input: $input) { id } }', {
      id: rule, input: { condition: 'feeding.durationMinutes > 2.0 && count("MOOD", days(2)) >= 0', changeNote: 'Also mood' },
    }, coordinator.token);
    await logFeeding(ts.url, patient);
    await runDue(ts);
    expect(await rawSql(ts, 'select categories from alert where protocol_id = ?', [rule])).toEqual([{ categories: ['FEEDING', 'MENTAL_HEALTH'] }]);
    expect(errorOf(await read(lactation))).toEqual({ code: 'NOT_FOUND', field: 'id' });
    expect((await read(midwife)).data?.alert.id).toBe(row!['id']);
  });

  it('a sample of the matrix end to end: each category a FEEDING-triggered rule can read × every care-team role × consent', async () => {
    const tenant = await TestTenant.create(ts);
    const roles = Object.keys(BY_CARE_TEAM_ROLE) as Array<keyof typeof BY_CARE_TEAM_ROLE>;
    const users = new Map<string, TestUser>();
    for (const role of roles) users.set(role, await tenant.user(role));
    const team = [...users.values()].filter((u) => u.role !== 'CARE_COORDINATOR');
    const byConsent = {
      none: { consent: null, patient: await tenant.patient(users.get('CARE_COORDINATOR')!, { team, withLogin: true }) },
      coordination: {
        consent: { type: 'CARE_COORDINATION', categories: ['FEEDING', 'INFANT'] as Category[] },
        patient: await tenant.patient(users.get('CARE_COORDINATOR')!, { team, withLogin: true }),
      },
      sharing: {
        consent: { type: 'DATA_SHARING', categories: ['MENTAL_HEALTH', 'FEEDING'] as Category[] },
        patient: await tenant.patient(users.get('CARE_COORDINATOR')!, { team, withLogin: true }),
      },
    };
    for (const { consent, patient: p } of Object.values(byConsent)) {
      if (consent) await gqlOk(ts.url, 'mutation($i: GrantConsentInput!) { grantConsent(input: $i) { id } }', { i: { patientId: p.id, ...consent, version: 'v1' } }, p.user!.token);
    }
    /** What the access model gives a role of a patient under her consent. */
    const modelOf = (role: string, scope: keyof typeof byConsent): Set<Category> => {
      const { consent } = byConsent[scope];
      const categories = new Set<Category>([...BY_CARE_TEAM_ROLE[role as keyof typeof BY_CARE_TEAM_ROLE]!, ...(consent?.type === 'DATA_SHARING' ? consent.categories : [])]);
      if (role !== 'CARE_COORDINATOR' || consent?.type !== 'CARE_COORDINATION') return categories;
      return new Set([...categories].filter((c) => ['IDENTITY', 'CONTACT', 'CARE_TEAM'].includes(c) || consent.categories.includes(c)));
    };
    const reads: Array<{ condition: string; categories: Category[] }> = [
      { condition: 'count("MOOD", days(1)) >= 0', categories: ['FEEDING', 'MENTAL_HEALTH'] },
      { condition: 'count("SLEEP", days(1)) >= 0', categories: ['FEEDING', 'MATERNAL'] },
      { condition: 'count("INFANT_VITALS", days(1)) >= 0', categories: ['FEEDING', 'INFANT'] },
      { condition: 'count("ANY", days(1)) >= 0', categories: ['FEEDING', 'INFANT', 'MATERNAL', 'MENTAL_HEALTH'] },
      // Last, so its event for the last patient is the last of all: every role may see that one.
      { condition: 'feeding.durationMinutes >= 0.0', categories: ['FEEDING'] },
    ];
    const rules = new Map<string, Category[]>();
    for (const [i, read] of reads.entries()) {
      const input = { ...feedingProtocol(`Sample ${i}`, read.condition), actions: [{ type: 'RAISE_ALERT', routeTo: roles }] };
      rules.set(await createProtocol(ts, users.get('CARE_COORDINATOR')!, input), read.categories);
    }
    const ours = new Set(rules.keys());
    const feeds = new Map<string, Collector<AlertEventPayload>>();
    for (const [role, user] of users) feeds.set(role, await feed(user));
    const patientOf = new Map<string, keyof typeof byConsent>();
    for (const [scope, { patient: p }] of Object.entries(byConsent) as Array<[keyof typeof byConsent, { patient: TestPatient }]>) {
      patientOf.set(p.id, scope);
      await logFeeding(ts.url, p);
      await runDue(ts);
    }
    const alertRows = await rawSql(ts, 'select id, patient_id, protocol_id from alert where protocol_id in (?, ?, ?, ?, ?)', [...rules.keys()]);
    const cellOf = new Map(alertRows.map((r) => [String(r['id']), `${patientOf.get(String(r['patient_id']))} ${reads[[...rules.keys()].indexOf(String(r['protocol_id']))]!.categories.join('+')}`]));
    const sentinel = alertRows.find((r) => r['patient_id'] === byConsent.sharing.patient.id && r['protocol_id'] === [...rules.keys()].at(-1))!;
    const mismatches: string[] = [];
    for (const [role, user] of users) {
      const live = feeds.get(role)!;
      const want = alertRows
        .filter((r) => rules.get(String(r['protocol_id']))!.every((c) => modelOf(role, patientOf.get(String(r['patient_id']))!).has(c)))
        .map((r) => cellOf.get(String(r['id']))!).sort();
      // Signals, not time: the sentinel (the last event of all) and as many events as the model
      // allows. A subscription's events may be executed concurrently, so they can reach the wire out
      // of cursor order: the count is waited for too.
      while (!live.received.some((e) => e.alerts.alert.id === sentinel['id'])) await live.waitFor(live.received.length + 1);
      await waitForOurs(live, ours, want.length);
      const got = live.received.filter((e) => ours.has(e.alerts.alert.protocol.id)).map((e) => cellOf.get(e.alerts.alert.id)!).sort();
      const listed = (await gqlOk<{ alerts: { edges: Array<{ node: { id: string; protocol: { id: string } } }> } }>(ts.url, ALERT_LIST, {}, user.token)).alerts.edges
        .filter((e) => ours.has(e.node.protocol.id)).map((e) => cellOf.get(e.node.id)!).sort();
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${role} live: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)} (errors: ${JSON.stringify(live.errors)})`);
      if (JSON.stringify(listed) !== JSON.stringify(want)) mismatches.push(`${role} listed: expected ${JSON.stringify(want)}, got ${JSON.stringify(listed)}`);
    }
    expect(mismatches).toEqual([]);
    // The sample is not trivial: some cells are refused and some allowed for each consent.
    expect(cellOf.size).toBe(15);
  });
});
