import type { AppLogger } from '../../logger.js';
import { Channels, type EventBus } from '../../realtime/event-bus.js';

/**
 * What the mailbox announces on a tenant's `mailbox` bus channel: ids and numbers only, never keys
 * or bodies. Redis pub/sub is best effort; the mailbox table is the truth, and a subscriber that
 * may have missed news catches up from it.
 */
export type MailboxNews =
  /** New envelopes were committed for these devices (device row id → envelope sequence numbers). */
  | { readonly type: 'ENVELOPES'; readonly devices: ReadonlyArray<{ readonly devicePk: string; readonly seqs: readonly number[] }> }
  /** A device's one-time prekeys fell below the threshold. */
  | { readonly type: 'PREKEYS_LOW'; readonly devicePk: string }
  /** A device was removed: its subscriptions end. */
  | { readonly type: 'DEVICE_REMOVED'; readonly devicePk: string };

/** Publishes mailbox news; a bus failure is logged, not thrown (the table is durable, subscribers catch up). */
export async function announceMailboxNews(bus: EventBus, logger: AppLogger, tenantId: string, news: MailboxNews): Promise<void> {
  try {
    await bus.publish(Channels.tenantMailbox(tenantId), JSON.stringify(news));
  } catch (err) {
    logger.warn({ err, newsType: news.type }, 'could not announce mailbox news on the bus');
  }
}
