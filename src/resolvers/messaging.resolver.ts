import { Arg, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { CLINICAL_ROLES, type Role } from '../db/entities/index.js';
import { BadInputError } from '../errors.js';
import { parseEnvelopeId } from '../crypto/signal/envelope-id.js';
import { deviceCreatedAt, KeyDirectoryService } from '../crypto/signal/key-directory.service.js';
import { MailboxService } from '../crypto/signal/mailbox.service.js';
import { CradleCloseCode } from '../realtime/close-codes.js';
import { Auth } from '../schema/auth.directive.js';
import { DeviceView, PreKeyCountView, PreKeyInput, RegisterDeviceInput, SignedPreKeyInput } from '../schema/messaging/device.type.js';
import { EnvelopeView, SendMessageInput, SendResultView } from '../schema/messaging/envelope.type.js';
import { PreKeyBundleView } from '../schema/messaging/pre-key-bundle.type.js';

/** Who may use secure messaging: patients and clinicians (whom they may message is checked per request). */
const MESSAGING_ROLES: readonly Role[] = ['PATIENT', ...CLINICAL_ROLES];

/** Closes the socket of a subscriber that read too slowly (4413), counted like live-update ones. */
function cutOffSlowConsumer(ctx: RequestContext): void {
  ctx.services.metrics.slowConsumersDropped.inc();
  ctx.disconnect?.(CradleCloseCode.SlowConsumer, 'Slow consumer: resume with since');
}

/**
 * Secure messaging on the Signal protocol: the key directory (devices, prekeys, bundles) and the
 * ciphertext mailbox (send, live inbox, acknowledge). Thin: services validate and authorise.
 */
@Resolver()
export class MessagingResolver {
  @Mutation(() => DeviceView, { description: 'Registers a messaging device; the signed prekey and Kyber last-resort prekey signatures are verified.' })
  @Auth.roles(MESSAGING_ROLES, 'MESSAGING')
  async registerDevice(@Arg('input', () => RegisterDeviceInput) input: RegisterDeviceInput, @Ctx() ctx: RequestContext): Promise<DeviceView> {
    const row = await new KeyDirectoryService(ctx).register(input);
    return new DeviceView({ deviceId: Number(row.device_id), registrationId: Number(row.registration_id), createdAt: deviceCreatedAt(row) });
  }

  @Mutation(() => PreKeyCountView, { description: 'Adds one-time EC and Kyber prekeys to one of your devices.' })
  @Auth.roles(MESSAGING_ROLES, 'MESSAGING')
  async uploadPreKeys(
    @Arg('deviceId', () => Int) deviceId: number,
    @Arg('preKeys', () => [PreKeyInput], { defaultValue: [] }) preKeys: PreKeyInput[],
    @Arg('kyberPreKeys', () => [SignedPreKeyInput], { defaultValue: [] }) kyberPreKeys: SignedPreKeyInput[],
    @Ctx() ctx: RequestContext,
  ): Promise<PreKeyCountView> {
    const counts = await new KeyDirectoryService(ctx).uploadPreKeys(deviceId, preKeys, kyberPreKeys);
    return new PreKeyCountView(counts, ctx.services.config.messaging.lowPreKeyThreshold);
  }

  @Mutation(() => Boolean, { description: 'Removes one of your devices, its prekeys and its pending envelopes.' })
  @Auth.roles(MESSAGING_ROLES, 'MESSAGING')
  async removeDevice(@Arg('deviceId', () => Int) deviceId: number, @Ctx() ctx: RequestContext): Promise<boolean> {
    return new KeyDirectoryService(ctx).remove(deviceId);
  }

  @Query(() => [DeviceView], { description: 'Your messaging devices.' })
  @Auth.roles(MESSAGING_ROLES, 'MESSAGING')
  async myDevices(@Ctx() ctx: RequestContext): Promise<DeviceView[]> {
    const rows = await new KeyDirectoryService(ctx).listOwn();
    return rows.map((row) => new DeviceView({ deviceId: Number(row.device_id), registrationId: Number(row.registration_id), createdAt: deviceCreatedAt(row) }));
  }

  @Query(() => PreKeyCountView, { description: 'How many one-time prekeys one of your devices has left.' })
  @Auth.roles(MESSAGING_ROLES, 'MESSAGING')
  async preKeyCount(@Arg('deviceId', () => Int) deviceId: number, @Ctx() ctx: RequestContext): Promise<PreKeyCountView> {
    return new KeyDirectoryService(ctx).preKeyCount(deviceId);
  }

  @Query(() => [PreKeyBundleView], {
    description: "One bundle per device of a user you may message (or of one device); claims each device's one-time prekeys.",
  })
  @Auth.roles(MESSAGING_ROLES, 'MESSAGING')
  async preKeyBundles(
    @Arg('userId', () => ID) userId: string,
    @Arg('deviceId', () => Int, { nullable: true }) deviceId: number | null,
    @Ctx() ctx: RequestContext,
  ): Promise<PreKeyBundleView[]> {
    return new KeyDirectoryService(ctx).claimBundles(userId, deviceId ?? null);
  }

  @Mutation(() => SendResultView, { description: 'Stores one ciphertext per current device of each recipient and of your other devices.' })
  @Auth.roles(MESSAGING_ROLES, 'MESSAGING')
  async sendMessage(@Arg('input', () => SendMessageInput) input: SendMessageInput, @Ctx() ctx: RequestContext): Promise<SendResultView> {
    return new MailboxService(ctx).send(input);
  }

  @Mutation(() => Int, { description: 'Deletes envelopes your device has processed; returns how many were deleted.' })
  @Auth.roles(MESSAGING_ROLES, 'MESSAGING')
  async ackMessages(
    @Arg('ids', () => [ID]) ids: string[],
    @Arg('deviceId', () => Int, { nullable: true, description: 'Only envelopes of this device of yours.' }) deviceId: number | null,
    @Ctx() ctx: RequestContext,
  ): Promise<number> {
    return new MailboxService(ctx).ack(ids, deviceId ?? null);
  }

  @Subscription(() => EnvelopeView, {
    description:
      "Envelopes for one of your devices: every pending one after `since` (all pending without it), then live ones. Unacknowledged envelopes are delivered again on the next subscription.",
    subscribe: async ({ args, context }) => {
      const ctx = context as RequestContext;
      const device = await new KeyDirectoryService(ctx).requireOwnDevice(args['deviceId'] as number);
      const since = args['since'] as string | null | undefined;
      let sinceSeq: number | null = null;
      if (since) {
        const key = parseEnvelopeId(since, 'since');
        if (key.devicePk !== device.id) throw BadInputError.field('since', 'since is not an envelope of this device.');
        sinceSeq = key.seq;
      }
      return ctx.services.messaging.openInbox({ pk: device.id, tenantId: device.tenant_id, deviceId: Number(device.device_id) }, sinceSeq, () =>
        cutOffSlowConsumer(ctx),
      );
    },
  })
  @Auth.roles(MESSAGING_ROLES, 'MESSAGING')
  inbox(
    @Root() envelope: EnvelopeView,
    @Arg('deviceId', () => Int) _deviceId: number,
    @Arg('since', () => ID, { nullable: true, description: 'Resume after this envelope id.' }) _since: string | null,
  ): EnvelopeView {
    return envelope;
  }

  @Subscription(() => PreKeyCountView, {
    description: "Tells one of your devices that its one-time prekeys run low (at once if they already do): upload more.",
    subscribe: async ({ args, context }) => {
      const ctx = context as RequestContext;
      const device = await new KeyDirectoryService(ctx).requireOwnDevice(args['deviceId'] as number);
      return ctx.services.messaging.openPreKeyAlerts({ pk: device.id, tenantId: device.tenant_id, deviceId: Number(device.device_id) }, () =>
        cutOffSlowConsumer(ctx),
      );
    },
  })
  @Auth.roles(MESSAGING_ROLES, 'MESSAGING')
  preKeysLow(@Root() counts: PreKeyCountView, @Arg('deviceId', () => Int) _deviceId: number): PreKeyCountView {
    return counts;
  }
}
