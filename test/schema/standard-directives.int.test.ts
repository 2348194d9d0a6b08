import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { gql, wsClient, type GqlResponse } from '../helpers/graphql-client.js';
import { logMood, subscribeLive } from '../helpers/live.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

type WireErrors = NonNullable<GqlResponse['errors']>;

/** Runs one query over graphql-ws and resolves with its data, or with the errors of its `error` message. */
function overWebSocket(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<{ data?: unknown; errors?: WireErrors }> {
  return new Promise((resolve, reject) => {
    let data: unknown;
    client.subscribe(
      { query, variables },
      {
        next: (value) => {
          if (value.errors) resolve({ errors: value.errors as WireErrors });
          data = value.data;
        },
        error: (err) => (Array.isArray(err) ? resolve({ errors: err as WireErrors }) : reject(new Error(`socket failed: ${JSON.stringify(err)}`))),
        complete: () => resolve({ data }),
      },
    );
  });
}

/** `me` with its role included when `$withRole` is true: `@include` driven by a variable. */
const ME_WITH_ROLE = 'query($withRole: Boolean!) { me { id role @include(if: $withRole) } }';

describe('the standard executable directives', () => {
  let ts: TestServer;
  let tenant: TestTenant;
  let midwife: TestUser;
  let patient: TestPatient;
  let ws: Client;

  beforeAll(async () => {
    ts = await startTestServer();
    tenant = await TestTenant.create(ts);
    const coordinator = await tenant.user('CARE_COORDINATOR');
    midwife = await tenant.user('MIDWIFE');
    patient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
    ws = wsClient(ts.wsUrl, tenant.admin.token);
  });
  afterAll(async () => {
    await ws?.dispose();
    await ts?.close();
  });

  it('omits a field under @include(if: false) and includes it under @include(if: true), on both transports', async () => {
    const omitted = { me: { id: tenant.admin.id } };
    const included = { me: { id: tenant.admin.id, role: 'ADMIN' } };
    expect((await gql(ts.url, '{ me { id role @include(if: false) } }', {}, tenant.admin.token)).data).toEqual(omitted);
    expect((await gql(ts.url, '{ me { id role @include(if: true) } }', {}, tenant.admin.token)).data).toEqual(included);
    expect(await overWebSocket(ws, '{ me { id role @include(if: false) } }')).toEqual({ data: omitted });
    expect(await overWebSocket(ws, '{ me { id role @include(if: true) } }')).toEqual({ data: included });
  });

  it('omits a field under @skip(if: true) and includes it under @skip(if: false), on both transports', async () => {
    const http = async (skip: boolean) => (await gql(ts.url, `{ me { id role @skip(if: ${skip}) } }`, {}, tenant.admin.token)).data;
    expect(await http(true)).toEqual({ me: { id: tenant.admin.id } });
    expect(await http(false)).toEqual({ me: { id: tenant.admin.id, role: 'ADMIN' } });
    expect(await overWebSocket(ws, '{ me { id role @skip(if: true) } }')).toEqual({ data: { me: { id: tenant.admin.id } } });
    expect(await overWebSocket(ws, '{ me { id role @skip(if: false) } }')).toEqual({ data: { me: { id: tenant.admin.id, role: 'ADMIN' } } });
  });

  it('takes the condition from a variable, on both transports', async () => {
    expect((await gql(ts.url, ME_WITH_ROLE, { withRole: false }, tenant.admin.token)).data).toEqual({ me: { id: tenant.admin.id } });
    expect((await gql(ts.url, ME_WITH_ROLE, { withRole: true }, tenant.admin.token)).data).toEqual({ me: { id: tenant.admin.id, role: 'ADMIN' } });
    expect(await overWebSocket(ws, ME_WITH_ROLE, { withRole: false })).toEqual({ data: { me: { id: tenant.admin.id } } });
    expect(await overWebSocket(ws, ME_WITH_ROLE, { withRole: true })).toEqual({ data: { me: { id: tenant.admin.id, role: 'ADMIN' } } });
  });

  it('applies @include to the events of a live subscription, per subscription', async () => {
    const query = 'subscription($withKind: Boolean!) { patientUpdates { update { id kind @include(if: $withKind) } } }';
    const client = wsClient(ts.wsUrl, midwife.token);
    try {
      const without = await subscribeLive(ts, client, query, { withKind: false });
      const withKind = await subscribeLive(ts, client, query, { withKind: true });
      const logged = await logMood(ts.url, patient, 4);
      expect(await without.waitFor(1)).toEqual([{ patientUpdates: { update: { id: logged.id } } }]);
      expect(await withKind.waitFor(1)).toEqual([{ patientUpdates: { update: { id: logged.id, kind: 'MOOD' } } }]);
      without.stop();
      withKind.stop();
    } finally {
      await client.dispose();
    }
  });

  it('still refuses an unknown directive with GRAPHQL_VALIDATION_FAILED on both transports', async () => {
    const query = '{ me { id role @nope } }';
    const http = await gql(ts.url, query, {}, tenant.admin.token);
    const socket = await overWebSocket(ws, query);
    expect(http.status).toBe(400);
    expect(http.data).toBeUndefined();
    expect(socket.data).toBeUndefined();
    for (const errors of [http.errors, socket.errors]) {
      expect(errors?.map((e) => [e.message, e.extensions?.code])).toEqual([['Unknown directive "@nope".', 'GRAPHQL_VALIDATION_FAILED']]);
    }
  });

  it('lists the standard directives beside @auth in introspection', async () => {
    const res = await gql<{ __schema: { directives: Array<{ name: string }> } }>(ts.url, '{ __schema { directives { name } } }', {}, tenant.admin.token);
    expect(res.data!.__schema.directives.map((d) => d.name)).toEqual(expect.arrayContaining(['include', 'skip', 'deprecated', 'specifiedBy', 'auth']));
  });
});
