import type { AuditEntryInput } from '../../audit/audit-entry.js';
import type { RequestContext } from '../../context.js';

/** What the audit trail records of one `sendMessage`: who, when, how much; never content. */
export interface MessageSentFacts {
  readonly senderDeviceId: number;
  /** The other users written to (the sender's own user not included). */
  readonly recipientUserIds: readonly string[];
  /** Envelopes that went to the sender's own other devices. */
  readonly ownDeviceCopies: number;
  readonly envelopes: number;
  readonly devices: number;
  /** Sum of the ciphertext sizes, in bytes. */
  readonly totalBytes: number;
  readonly largestBytes: number;
}

/**
 * Records a sent message in the audit trail (action `MESSAGE_SENT`): sender, recipients, counts and
 * ciphertext sizes. This is the one call site of the mailbox into the audit trail (`services.audit`,
 * whose `append` resolves once the record is durable, before the response leaves).
 */
export async function auditMessageSent(ctx: RequestContext, facts: MessageSentFacts): Promise<void> {
  const actor = ctx.access.requireActor();
  const entry: AuditEntryInput = {
    tenantId: actor.tenantId,
    actor: { type: 'USER', userId: actor.userId, role: actor.role, sessionId: actor.sessionId ?? null },
    patientId: null,
    action: 'MESSAGE_SENT',
    fields: [],
    purpose: 'TREATMENT',
    outcome: 'ALLOWED',
    requestId: ctx.requestId,
    clientIp: ctx.clientIp,
    userAgent: ctx.userAgent,
    details: {
      senderDeviceId: facts.senderDeviceId,
      recipientUserIds: facts.recipientUserIds.join(','),
      recipientUsers: facts.recipientUserIds.length,
      ownDeviceCopies: facts.ownDeviceCopies,
      envelopes: facts.envelopes,
      devices: facts.devices,
      totalBytes: facts.totalBytes,
      largestBytes: facts.largestBytes,
    },
  };
  await ctx.services.audit.append([entry]);
}
