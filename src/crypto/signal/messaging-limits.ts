import type { EntityManager } from '@mikro-orm/postgresql';
import { retryAfterSeconds, type RateCharge, type RateLimit } from '../../auth/rate-limiter.js';
import type { MessagingConfig } from '../../config.js';
import type { RequestContext } from '../../context.js';
import { RateLimitedError } from '../../errors.js';

/**
 * The rate limits and quotas of secure messaging (`CRADLE_MESSAGING_*`, see `docs/configuration.md` and `docs/messaging.md`): prekey
 * bundle claims per (claimer, device) and per claimer, envelopes and bytes sent per sender, and the
 * size of each device's mailbox. Rates are spent through the server's rate limiter (`auth/rate-limiter.ts`) (Redis
 * when configured, so they hold across instances), on the injected clock; the mailbox quota is
 * counted in the database, inside the send's transaction. Over a limit the request is refused with
 * RATE_LIMITED before anything is claimed or stored.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** The `retryAfterSeconds` of a full mailbox: a hint, since space frees when the recipient device reads and acknowledges. */
export const MAILBOX_FULL_RETRY_SECONDS = 60;

/**
 * Spends one claim per device (row ids) from the caller's bucket for that device, and as many from
 * the caller's overall bucket; refuses with RATE_LIMITED (`PREKEY_CLAIMS`) and spends nothing when
 * either is empty. Per device rather than per user, so claiming a user's five devices once costs
 * no more per device than claiming one.
 */
export async function chargePreKeyClaims(ctx: RequestContext, devicePks: readonly string[]): Promise<void> {
  if (devicePks.length === 0) return;
  const actor = ctx.access.requireActor();
  const config = ctx.services.config.messaging;
  const overall: RateLimit = { limit: config.claimsPerHour, periodMs: HOUR_MS };
  const perDevice: RateLimit = { limit: config.claimsPerDevicePerHour, periodMs: HOUR_MS };
  const charges: RateCharge[] = [
    // A user may hold more devices than a lowered limit allows; her claim then spends the whole bucket.
    { key: `prekey-claims:${actor.userId}`, limit: overall, cost: Math.min(devicePks.length, overall.limit) },
    ...devicePks.map((pk) => ({ key: `prekey-claims:${actor.userId}:${pk}`, limit: perDevice, cost: 1 })),
  ];
  const decision = await ctx.services.rateLimiter.take(actor.tenantId, charges, ctx.services.now());
  if (!decision.allowed) throw RateLimitedError.preKeyClaims(retryAfterSeconds(decision));
}

/**
 * Spends a send's envelopes and ciphertext bytes from the sender's per-minute buckets (one pair
 * per user, whichever device sends); refuses with RATE_LIMITED (`SEND_RATE`) and spends nothing
 * when either is empty. Configuration guarantees that one valid `sendMessage` fits both.
 */
export async function chargeSend(ctx: RequestContext, envelopes: number, bytes: number): Promise<void> {
  const actor = ctx.access.requireActor();
  const config = ctx.services.config.messaging;
  const charges: RateCharge[] = [
    { key: `send-envelopes:${actor.userId}`, limit: { limit: config.sendEnvelopesPerMinute, periodMs: MINUTE_MS }, cost: envelopes },
    { key: `send-bytes:${actor.userId}`, limit: { limit: config.sendBytesPerMinute, periodMs: MINUTE_MS }, cost: bytes },
  ];
  const decision = await ctx.services.rateLimiter.take(actor.tenantId, charges, ctx.services.now());
  if (!decision.allowed) throw RateLimitedError.sendRate(retryAfterSeconds(decision));
}

/** One envelope about to be stored: its recipient device (row id) and its ciphertext size in bytes. */
export interface QueuedEnvelope {
  readonly devicePk: string;
  readonly bytes: number;
}

/**
 * The index of the first envelope that would take its device's mailbox past
 * `mailboxMaxEnvelopes` or `mailboxMaxBytes` (counting unexpired, unacknowledged envelopes), or
 * -1 when all fit. Run inside the send's transaction, after the recipient device rows are locked,
 * so concurrent sends to one device cannot both take its last place.
 */
export async function firstOverMailboxQuota(tx: EntityManager, config: MessagingConfig, envelopes: readonly QueuedEnvelope[], notBefore: Date): Promise<number> {
  if (envelopes.length === 0) return -1;
  const rows = await tx.execute<Array<{ device_pk: string; n: string | number; bytes: string | number }>>(
    `select "device_pk", count(*) as "n", coalesce(sum(octet_length("body")), 0) as "bytes"
     from "messaging_envelope" where "device_pk" in (?) and "server_timestamp" >= ? group by "device_pk"`,
    [[...new Set(envelopes.map((e) => e.devicePk))], notBefore],
  );
  const queued = new Map(rows.map((r) => [r.device_pk, { n: Number(r.n), bytes: Number(r.bytes) }]));
  return envelopes.findIndex((e) => {
    const q = queued.get(e.devicePk) ?? { n: 0, bytes: 0 };
    const after = { n: q.n + 1, bytes: q.bytes + e.bytes };
    queued.set(e.devicePk, after);
    return after.n > config.mailboxMaxEnvelopes || after.bytes > config.mailboxMaxBytes;
  });
}
