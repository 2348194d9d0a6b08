import { readFileSync } from 'node:fs';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, wsClient } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { meets, parseWalks, valueAt, variablesFor, type WalkStep } from './readme-walks.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** How long a live step may wait: on a fresh demo tenant the alerting worker first evaluates three weeks of seeded history. */
const LIVE_TIMEOUT_MS = 180_000;

/** The events of one open subscription, and a way to wait for one (on its arrival, never on a timer). */
class LiveFeed {
  readonly events: unknown[] = [];
  readonly errors: unknown[] = [];
  private waiters: Array<() => void> = [];

  push(event: unknown): void {
    this.events.push(event);
    this.wake();
  }

  fail(error: unknown): void {
    this.errors.push(error);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves with the first event (already received or still to come) that `matches`. */
  async waitFor(matches: (event: unknown) => boolean, what: string, timeoutMs = LIVE_TIMEOUT_MS): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(matches);
      if (found !== undefined) return found;
      if (this.errors.length > 0) throw new Error(`${what}: the subscription failed: ${JSON.stringify(this.errors)}`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`${what}: nothing matching arrived in ${timeoutMs} ms (${this.events.length} other events)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** What running the walks left behind: each step's data, the values saved, the open subscriptions. */
interface WalkRun {
  readonly data: Map<string, any>;
  readonly saved: Map<string, unknown>;
  readonly feeds: Map<string, LiveFeed>;
  readonly clients: Client[];
}

/** Runs every step in README order against `ts`, as its persona, over HTTP or graphql-ws; throws at the first step that fails. */
async function runWalks(ts: TestServer, steps: readonly WalkStep[]): Promise<WalkRun> {
  const run: WalkRun = { data: new Map(), saved: new Map(), feeds: new Map(), clients: [] };
  const tokens = new Map<string, string>();
  const clients = new Map<string, Client>();
  for (const step of steps) {
    const variables = variablesFor(step, run.saved);
    const signsIn = step.operation === 'mutation' && step.rootFields[0] === 'login';
    const token = tokens.get(step.as);
    if (!signsIn && !token) throw new Error(`${step.id}: ${step.as} has not signed in in an earlier step`);
    let data: any;
    if (step.operation === 'subscription') {
      let client = clients.get(step.as);
      if (!client) {
        client = wsClient(ts.wsUrl, token!);
        clients.set(step.as, client);
        run.clients.push(client);
      }
      const feed = new LiveFeed();
      run.feeds.set(step.id, feed);
      client.subscribe({ query: step.query, variables }, {
        next: (message) => (message.errors?.length ? feed.fail(message.errors) : feed.push(message.data)),
        error: (error) => feed.fail(error),
        complete: () => undefined,
      });
      data = await feed.waitFor((event) => meets(event, step.until, run.saved), step.id);
    } else {
      const res = await gql(ts.url, step.query, variables, signsIn ? undefined : token);
      if (step.error) {
        const codes = (res.errors ?? []).map((e) => e.extensions?.code);
        if (!codes.includes(step.error)) throw new Error(`${step.id}: expected ${step.error}, got ${JSON.stringify(res)}`);
        data = res.data ?? null;
      } else {
        if (res.errors?.length || !res.data) throw new Error(`${step.id} (README line ${step.line}) answered errors: ${JSON.stringify(res.errors)}`);
        data = res.data;
      }
      if (signsIn) tokens.set(step.as, valueAt(data, 'login.accessToken') as string);
    }
    for (const { name, path } of step.saves) run.saved.set(name, valueAt(data, path));
    run.data.set(step.id, data);
  }
  return run;
}

describe('the README persona walks, run as written on a fresh demo tenant', () => {
  const steps = parseWalks(README);
  let ts: TestServer;
  let run: WalkRun;
  const result = (id: string) => {
    if (!run.data.has(id)) throw new Error(`the README has no walk step ${id}`);
    return run.data.get(id);
  };

  beforeAll(async () => {
    ts = await startTestServer({ env: { CRADLE_DEMO_SEED: 'true', CRADLE_ALERTING_POLL_MS: '100' } });
    run = await runWalks(ts, steps);
  }, LIVE_TIMEOUT_MS + 120_000);
  afterAll(async () => {
    await Promise.all((run?.clients ?? []).map((client) => client.dispose()));
    await ts?.close();
  });

  it('has a walk for each persona, every step answering data without errors (or the error it names)', () => {
    expect([...new Set(steps.map((s) => s.walk))]).toEqual(['patient', 'clinician', 'coordinator']);
    expect([...run.data.keys()]).toEqual(steps.map((s) => s.id));
  });

  it('lets the patient find her record, log a mood and a feed, and read the questionnaires', () => {
    expect(result('patient/sign-in').login.user.role).toBe('PATIENT');
    expect(result('patient/me').me.patient).toMatchObject({ id: run.saved.get('patientId'), infants: [expect.objectContaining({ id: run.saved.get('infantId') })] });
    expect(result('patient/log-mood').logMood).toMatchObject({ kind: 'MOOD', data: { score: 2, note: 'Tired and tearful today' } });
    expect(result('patient/log-feed').logFeeding).toMatchObject({ kind: 'FEEDING', data: { method: 'BREAST', durationMinutes: 20, wetDiapers: 1 } });
    const epds = (result('patient/instruments').screeningInstruments as Array<any>).find((i) => i.id === 'EPDS');
    expect(epds.items).toHaveLength(10);
    expect(epds.selfHarmItem).toBe(10);
    expect(epds.items[9].options[2]).toEqual({ answer: 2, label: 'Hardly ever', score: 1 });
  });

  it('scores her EPDS on the server: total 1, self-harm item positive', () => {
    expect(result('patient/submit-epds').submitScreening.data).toMatchObject({ instrument: 'EPDS', total: 1, band: 'NONE', selfHarmItemPositive: true });
    expect(result('patient/submit-epds').submitScreening.data.items[9]).toBe(1);
  });

  it('shows the mental-health specialist that screening, and delivers its CRITICAL alert on her live subscription', () => {
    const epdsId = result('patient/submit-epds').submitScreening.id;
    expect(run.saved.get('epdsId')).toBe(epdsId);
    expect(result('clinician/latest-screening').statusUpdates.edges[0].node.data.selfHarmItemPositive).toBe(true);
    const event = result('clinician/watch-alerts').alerts;
    expect(event.alert).toMatchObject({ severity: 'CRITICAL', protocol: { name: 'EPDS self-harm item (item 10)' }, patient: { id: run.saved.get('patientId') } });
    expect(event.alert.evidence.map((e: { id: string }) => e.id)).toContain(epdsId);
    // As the README says, her seeded history had already opened it: this EPDS joins its evidence and pages again.
    expect(['PAGED', 'EVIDENCE_ADDED']).toContain(event.action);
    expect(event.alert.evidence.length).toBeGreaterThan(1);
  });

  it('lists the alert among her open ones, and acknowledging it flips its status and is announced live', async () => {
    const alertId = run.saved.get('alertId');
    const open = result('clinician/open-alerts').alerts.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(open).toContain(alertId);
    const acknowledged = result('clinician/acknowledge').acknowledgeAlert;
    expect(acknowledged).toMatchObject({ id: alertId, status: 'ACKNOWLEDGED', acknowledgedAt: expect.any(String) });
    expect(acknowledged.history).toContainEqual(expect.objectContaining({ action: 'ACKNOWLEDGED', actorRole: 'MENTAL_HEALTH_SPECIALIST' }));
    const announced = await run.feeds.get('clinician/watch-alerts')!.waitFor(
      (e: any) => e.alerts.alert.id === alertId && e.alerts.action === 'ACKNOWLEDGED',
      'the ACKNOWLEDGED announcement',
    );
    expect(announced).toMatchObject({ alerts: { alert: { status: 'ACKNOWLEDGED' } } });
  });

  it('hides the alert from the lactation consultant on the same care team (NOT_FOUND)', () => {
    expect(result('clinician/lactation-cannot-see')).toBeNull();
  });

  it('lets the coordinator list protocols, write one, edit it as a draft, dry-run it with a trace and activate it', () => {
    const protocols = result('coordinator/protocols').protocols as Array<{ builtInKey: string | null }>;
    expect(protocols.map((p) => p.builtInKey)).toEqual(expect.arrayContaining(['epds-self-harm', 'severe-blood-pressure', 'missed-check-in']));
    expect(result('coordinator/create').createProtocol.activeVersion).toEqual({ number: 1, status: 'ACTIVE', condition: 'mood.score <= 1' });
    expect(result('coordinator/edit').updateProtocol.versions.map((v: { number: number; status: string }) => [v.number, v.status])).toEqual([[2, 'DRAFT'], [1, 'ACTIVE']]);
    const dryRun = result('coordinator/dry-run').simulateProtocol;
    expect(dryRun.outcome).toBe('MATCHED');
    expect(dryRun.trace).toContainEqual({ expression: 'mood.score <= 2', value: 'true' });
    expect(dryRun.trace.length).toBeGreaterThan(1);
    expect(JSON.stringify(dryRun.actions)).toContain('CREATE_TASK');
    const activated = result('coordinator/activate').activateProtocolVersion;
    expect(activated.activeVersion).toMatchObject({ number: 2, status: 'ACTIVE' });
    expect(activated.versions.map((v: { number: number; status: string }) => [v.number, v.status])).toEqual([[2, 'ACTIVE'], [1, 'RETIRED']]);
  });
});
