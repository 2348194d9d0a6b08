import { GraphQLMessagingApi } from '../../src/crypto/client/messaging-api.js';
import { SecureMessagingClient, type InboxItem } from '../../src/crypto/client/secure-messaging-client.js';
import { TestTenant, type TestPatient, type TestUser } from '../helpers/builders.js';
import { quietPeriod } from '../helpers/graphql-client.js';
import { rawSql, type TestServer } from '../helpers/test-server.js';

/** A care setting for messaging tests: a patient with a login, her midwife and coordinator, and a midwife outside her team. */
export interface CareSetting {
  readonly tenant: TestTenant;
  readonly coordinator: TestUser;
  readonly midwife: TestUser;
  readonly outsider: TestUser;
  readonly patient: TestPatient;
  readonly patientUser: TestUser;
}

/** Builds a {@link CareSetting} through the API. */
export async function careSetting(ts: TestServer): Promise<CareSetting> {
  const tenant = await TestTenant.create(ts);
  const coordinator = await tenant.user('CARE_COORDINATOR');
  const midwife = await tenant.user('MIDWIFE');
  const outsider = await tenant.user('MIDWIFE');
  const patient = await tenant.patient(coordinator, { team: [midwife], withLogin: true });
  return { tenant, coordinator, midwife, outsider, patient, patientUser: patient.user! };
}

/** A real client-kit device for a user on a test server (its API is closed by {@link closeKits}). */
export function kitFor(
  ts: TestServer | { url: string; wsUrl: string },
  user: TestUser,
  options: { preKeyBatch?: number; token?: () => string } = {},
): SecureMessagingClient {
  const api = new GraphQLMessagingApi(ts.url, ts.wsUrl, options.token ?? (() => user.token));
  const kit = SecureMessagingClient.withNewIdentity(api, user.id, options);
  apis.set(kit, api);
  return kit;
}

const apis = new Map<SecureMessagingClient, GraphQLMessagingApi>();

/** Closes the WebSockets of every kit made by {@link kitFor}. */
export async function closeKits(): Promise<void> {
  await Promise.allSettled([...apis.values()].map((api) => api.close()));
  apis.clear();
}

/** Closes one kit's WebSocket (its subscriptions end, as when a phone goes offline). */
export async function disconnect(kit: SecureMessagingClient): Promise<void> {
  await apis.get(kit)?.close();
}

/** Points an existing kit (same keys and sessions) at another server instance, as after a restart. */
export function reconnectTo(kit: SecureMessagingClient, ts: { url: string; wsUrl: string }, user: TestUser): void {
  const api = new GraphQLMessagingApi(ts.url, ts.wsUrl, () => user.token);
  kit.useApi(api);
  apis.set(kit, api);
}

/** What a listening kit received, with a way to wait for more. */
export interface Inbox {
  readonly items: InboxItem[];
  readonly errors: unknown[];
  texts(): string[];
  waitFor(count: number, timeoutMs?: number): Promise<InboxItem[]>;
  stop(): void;
}

/** Starts `kit.listen` and collects what it yields. */
export function listen(kit: SecureMessagingClient, options: { since?: string | null; autoAck?: boolean } = {}): Inbox {
  const items: InboxItem[] = [];
  const errors: unknown[] = [];
  const waiters: Array<() => void> = [];
  const stop = kit.listen(
    (item) => {
      items.push(item);
      for (const w of waiters.splice(0)) w();
    },
    { ...options, onError: (err) => errors.push(err) },
  );
  return {
    items,
    errors,
    stop,
    texts: () => items.flatMap((i) => (i.ok ? [i.message.text] : [])),
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${count} messages, got ${items.length}; errors: ${errors.map(String).join('; ')}`)), timeoutMs);
        const check = () => {
          if (items.length >= count) {
            clearTimeout(timer);
            resolve(items);
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** Resolves once `ts` holds at least `count` open inbox and prekey-alert subscriptions. */
export async function waitForMailboxSubscriptions(ts: TestServer, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (ts.server.services.messaging.subscriptionCount < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} mailbox subscriptions, found ${ts.server.services.messaging.subscriptionCount}`);
    await quietPeriod(10);
  }
}

/** Envelopes waiting on the server for one device of a user (not yet acknowledged). */
export async function pendingFor(ts: TestServer, userId: string, deviceId: number): Promise<number> {
  const rows = await rawSql(
    ts,
    `select count(*) as "n" from "messaging_envelope" e join "messaging_device" d on d."id" = e."device_pk" where d."user_id" = ? and d."device_id" = ?`,
    [userId, deviceId],
  );
  return Number(rows[0]!['n']);
}
