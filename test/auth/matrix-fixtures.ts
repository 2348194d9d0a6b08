import { IdentityKeyPair, KEMKeyPair, PrivateKey } from '@signalapp/libsignal-client';
import { collect, gql, wsClient, type GqlResponse } from '../helpers/graphql-client.js';

/** A well-formed id that no record has. */
export const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/** What one call answered: the first error's code (null on success), the data, and the whole body. */
export interface CallResult {
  readonly code: string | null;
  readonly data: any;
  readonly body: string;
}

/** Posts one operation and reduces the answer to a {@link CallResult}. */
export async function call(url: string, query: string, variables: Record<string, unknown>, token: string | null): Promise<CallResult> {
  const res: GqlResponse = await gql(url, query, variables, token ?? undefined);
  return { code: res.errors?.length ? String(res.errors[0]!.extensions?.code ?? 'NO_CODE') : null, data: res.data ?? null, body: JSON.stringify(res) };
}

/**
 * Subscribes over a real graphql-ws socket until the subscription is refused (an error, or the
 * socket closed with 4401) or what it received satisfies `admitted`, at most `timeoutMs`, and
 * reduces what happened to a {@link CallResult}: the first error's code (UNAUTHENTICATED for 4401),
 * else the events received (`data` is the list of payloads). A subscription that neither errs nor
 * delivers within the time is reported with what it got, so a hung one fails an admission check.
 */
export async function subscribeFor(
  wsUrl: string,
  query: string,
  variables: Record<string, unknown>,
  token: string | null,
  admitted: (received: unknown[]) => boolean,
  timeoutMs = 10_000,
): Promise<CallResult> {
  let closedWith: number | null = null;
  const client = wsClient(wsUrl, token ?? '', (code) => {
    closedWith = code;
  });
  try {
    const live = collect(client, query, variables);
    await live.waitUntil(() => live.errors.length > 0 || closedWith !== null || admitted(live.received), timeoutMs);
    live.stop();
    const first = live.errors[0] as { extensions?: { code?: string }; code?: number } | undefined;
    const code = closedWith === 4401 || first?.code === 4401 ? 'UNAUTHENTICATED' : first ? String(first.extensions?.code ?? 'NO_CODE') : null;
    return { code, data: live.received, body: JSON.stringify({ received: live.received, errors: live.errors, closedWith }) };
  } finally {
    // Disposing a client whose connection was refused rethrows the refusal (its CloseEvent), already counted above.
    await Promise.resolve(client.dispose()).catch(() => undefined);
  }
}

/**
 * A custom protocol on MOOD updates: `condition` true raises a WARNING alert routed to every clinical
 * role and creates a follow-up task for the mental-health specialist (both MENTAL_HEALTH).
 */
export function moodProtocolInput(name: string, condition: string): Record<string, unknown> {
  return {
    name,
    description: 'Authorisation matrix probe',
    trigger: { kinds: ['MOOD'] },
    condition,
    severity: 'WARNING',
    actions: [
      { type: 'RAISE_ALERT', routeTo: ['PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR'] },
      { type: 'CREATE_TASK', title: 'Call her back about her mood', assignTo: 'MENTAL_HEALTH_SPECIALIST', dueInMinutes: 240 },
    ],
    escalation: {
      tiers: [{ targets: [{ role: 'CARE_COORDINATOR' }], ackTimeoutMinutes: 30 }],
      fallback: { targets: [{ role: 'PRIMARY_CARE_PROVIDER' }], ackTimeoutMinutes: 30 },
      repeat: 0,
    },
    guideline: 'Local test rule',
  };
}

/** A fresh, valid `registerDevice` input (new identity, signed prekey and Kyber last-resort prekey). */
export function deviceRegistration(): Record<string, unknown> {
  const identity = IdentityKeyPair.generate();
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const signed = PrivateKey.generate().getPublicKey().serialize();
  const kem = KEMKeyPair.generate().getPublicKey().serialize();
  return {
    registrationId: 1 + Math.floor(Math.random() * 16000),
    identityKey: b64(identity.publicKey.serialize()),
    signedPreKey: { id: 1, publicKey: b64(signed), signature: b64(identity.privateKey.sign(signed)) },
    kyberLastResortPreKey: { id: 1, publicKey: b64(kem), signature: b64(identity.privateKey.sign(kem)) },
  };
}
