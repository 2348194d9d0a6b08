import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant, type TestUser } from '../helpers/builders.js';
import { errorOf, gql, gqlOk } from '../helpers/graphql-client.js';
import { rawSql, startTestServer, type TestServer } from '../helpers/test-server.js';
import { auditRows } from '../audit/helpers.js';
import { alertingTeam, runDue, submitEpds, type AlertingTeam } from './alerting-helpers.js';

const TASKS = `query($p: ID, $s: FollowUpTaskStatus, $first: Int, $after: String) {
  followUpTasks(patientId: $p, status: $s, first: $first, after: $after) {
    edges { cursor node { id title assignedRole status dueAt alertId completedAt completedBy completionNote patient { id } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const COMPLETE = 'mutation($id: ID!, $note: String) { completeFollowUpTask(id: $id, note: $note) { id status completedAt completedBy completionNote } }';

interface TaskNode {
  id: string;
  title: string;
  assignedRole: string;
  status: string;
  dueAt: string;
  alertId: string | null;
  completedAt: string | null;
  completedBy: string | null;
  completionNote: string | null;
  patient: { id: string };
}
interface TaskPage {
  followUpTasks: { edges: Array<{ cursor: string; node: TaskNode }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

describe('follow-up tasks', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let team: AlertingTeam;
  let outsider: TestUser;
  let taskId: string;

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_ALERTING_POLL_MS: '60000' } });
    tenant = await TestTenant.create(ts);
    team = await alertingTeam(tenant);
    outsider = await tenant.user('MENTAL_HEALTH_SPECIALIST');
    await submitEpds(ts, team.patient, 2);
    await runDue(ts);
    const [row] = await rawSql(ts, 'select id from follow_up_task where patient_id = ?', [team.patient.id]);
    taskId = String(row!['id']);
  });
  afterAll(async () => {
    await ts?.close();
  });

  const tasks = (user: TestUser, vars: Record<string, unknown> = {}) => gql<TaskPage>(ts.url, TASKS, vars, user.token);
  const nodes = async (user: TestUser, vars: Record<string, unknown> = {}) => (await gqlOk<TaskPage>(ts.url, TASKS, vars, user.token)).followUpTasks.edges.map((e) => e.node);

  it("lists a protocol's task to the care-team clinicians whose access covers its category, and to nobody else", async () => {
    const [task] = await nodes(team.mentalHealth);
    expect(task).toMatchObject({
      id: taskId, title: 'Immediate suicide-risk assessment', assignedRole: 'MENTAL_HEALTH_SPECIALIST', status: 'OPEN',
      completedAt: null, completedBy: null, completionNote: null, patient: { id: team.patient.id },
    });
    expect(task!.alertId).toEqual(expect.any(String));
    expect(new Date(task!.dueAt).getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect((await nodes(team.gp, { p: team.patient.id })).map((t) => t.id)).toEqual([taskId]);
    expect((await nodes(team.coordinator)).map((t) => t.id)).toEqual([taskId]);
    // The lactation consultant is on the team but does not read mental-health data: nothing listed, the task is "not found".
    expect(await nodes(team.lactation)).toEqual([]);
    expect(await nodes(team.lactation, { p: team.patient.id })).toEqual([]);
    expect(errorOf(await gql(ts.url, COMPLETE, { id: taskId }, team.lactation.token))).toEqual({ code: 'NOT_FOUND', field: 'id' });
    // A clinician outside the team: her patient is not found, and so is the task.
    expect(errorOf(await tasks(outsider, { p: team.patient.id }))).toEqual({ code: 'NOT_FOUND', field: 'patientId' });
    expect(await nodes(outsider)).toEqual([]);
    expect(errorOf(await gql(ts.url, COMPLETE, { id: taskId }, outsider.token))).toEqual({ code: 'NOT_FOUND', field: 'id' });
    // Patients, admins and others are refused by role.
    expect(errorOf(await tasks(team.patient.user!))).toEqual({ code: 'FORBIDDEN', field: undefined });
    expect(errorOf(await gql(ts.url, COMPLETE, { id: taskId }, tenant.admin.token)).code).toBe('FORBIDDEN');
  });

  it('completes a task once, with an encrypted note, audited as a write to her record; a second completion is a CONFLICT', async () => {
    const note = 'Spoke with her; safety plan agreed, crisis line given';
    const done = await gqlOk<{ completeFollowUpTask: TaskNode }>(ts.url, COMPLETE, { id: taskId, note }, team.mentalHealth.token);
    expect(done.completeFollowUpTask).toMatchObject({ id: taskId, status: 'DONE', completedBy: team.mentalHealth.id, completionNote: note });
    expect(done.completeFollowUpTask.completedAt).toEqual(expect.any(String));
    const again = await gql(ts.url, COMPLETE, { id: taskId, note: 'again' }, team.gp.token);
    expect(errorOf(again)).toEqual({ code: 'CONFLICT', field: 'id' });
    expect(await nodes(team.mentalHealth, { s: 'OPEN' })).toEqual([]);
    expect((await nodes(team.gp, { s: 'DONE' }))[0]).toMatchObject({ id: taskId, completionNote: note });
    const [stored] = await rawSql(ts, 'select completion_note::text as note, status from follow_up_task where id = ?', [taskId]);
    expect(stored!['status']).toBe('DONE');
    expect(String(stored!['note'])).not.toContain('safety plan');
    const audit = await auditRows(ts, tenant.id, team.patient.id);
    expect(audit).toEqual(expect.arrayContaining([
      expect.objectContaining({ actor_id: team.mentalHealth.id, action: 'UPDATE', outcome: 'ALLOWED', fields: expect.arrayContaining(['Mutation.completeFollowUpTask']) }),
      expect.objectContaining({ actor_id: team.gp.id, action: 'READ', outcome: 'ALLOWED', fields: expect.arrayContaining(['FollowUpTask.completionNote', 'FollowUpTask.title']) }),
    ]));
  });

  it('answers bad input with the code and the field at fault, and changes nothing', async () => {
    const cases: Array<[string, Record<string, unknown>, TestUser, { code: string; field: string }]> = [
      [COMPLETE, { id: 'not-an-id' }, team.gp, { code: 'NOT_FOUND', field: 'id' }],
      [COMPLETE, { id: '00000000-0000-4000-8000-000000000000' }, team.gp, { code: 'NOT_FOUND', field: 'id' }],
      [COMPLETE, { id: taskId, note: '   ' }, team.gp, { code: 'BAD_USER_INPUT', field: 'note' }],
      [COMPLETE, { id: taskId, note: 'x'.repeat(2001) }, team.gp, { code: 'BAD_USER_INPUT', field: 'note' }],
      [TASKS, { first: 0 }, team.gp, { code: 'BAD_USER_INPUT', field: 'first' }],
      [TASKS, { first: 1000 }, team.gp, { code: 'BAD_USER_INPUT', field: 'first' }],
      [TASKS, { after: 'garbage' }, team.gp, { code: 'BAD_USER_INPUT', field: 'after' }],
      [TASKS, { p: 'nobody' }, team.gp, { code: 'NOT_FOUND', field: 'patientId' }],
    ];
    for (const [query, vars, user, want] of cases) expect(errorOf(await gql(ts.url, query, vars, user.token)), JSON.stringify(vars).slice(0, 80)).toEqual(want);
    const invalidStatus = await gql(ts.url, TASKS, { s: 'LATER' }, team.gp.token);
    expect(invalidStatus.errors?.[0]?.message).toMatch(/FollowUpTaskStatus/);
    const [row] = await rawSql(ts, 'select status, completed_by from follow_up_task where id = ?', [taskId]);
    expect(row).toEqual({ status: 'DONE', completed_by: team.mentalHealth.id });
  });

  it('pages through tasks soonest due first with first and after', async () => {
    const more = [await tenant.patient(team.coordinator, { team: [team.mentalHealth], withLogin: true }), await tenant.patient(team.coordinator, { team: [team.mentalHealth], withLogin: true })];
    for (const p of more) await submitEpds(ts, p, 3);
    await runDue(ts);
    const all = await nodes(team.mentalHealth, { first: 50 });
    expect(all).toHaveLength(3);
    expect(all.map((t) => t.dueAt)).toEqual([...all.map((t) => t.dueAt)].sort());
    const page1 = (await gqlOk<TaskPage>(ts.url, TASKS, { first: 2 }, team.mentalHealth.token)).followUpTasks;
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = (await gqlOk<TaskPage>(ts.url, TASKS, { first: 2, after: page1.pageInfo.endCursor }, team.mentalHealth.token)).followUpTasks;
    expect(page2.pageInfo.hasNextPage).toBe(false);
    expect([...page1.edges, ...page2.edges].map((e) => e.node.id)).toEqual(all.map((t) => t.id));
    expect((await nodes(team.mentalHealth, { s: 'OPEN' })).map((t) => t.patient.id).sort()).toEqual(more.map((p) => p.id).sort());
  });
});
