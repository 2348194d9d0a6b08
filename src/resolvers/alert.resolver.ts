import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { AlertService, alertRecords } from '../alerting/alert.service.js';
import { PatientService } from '../care/patient.service.js';
import type { RequestContext } from '../context.js';
import { Patient, SafetyMessage, type AlertStatus } from '../db/entities/index.js';
import { CradleCloseCode } from '../realtime/close-codes.js';
import { AlertConnection, AlertEvent, AlertHistoryEntryView, AlertView } from '../schema/alert/alert.type.js';
import { SafetyMessageView } from '../schema/alert/safety-message.type.js';
import { Auth } from '../schema/auth.directive.js';
import { PatientView } from '../schema/care/patient.type.js';
import { Cursor } from '../schema/common/cursor.js';
import { AlertStatusEnum } from '../schema/common/enums.js';
import { StatusUpdateView } from '../schema/status/status-update.type.js';
import { checkFirst } from './patient.resolver.js';

/** Clinicians who receive and handle alerts (each limited to patients and categories of their grants). */
const ALERT_HANDLERS = ['PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR'] as const;

async function toView(ctx: RequestContext, alert: Parameters<typeof alertRecords>[1][number]): Promise<AlertView> {
  const [record] = await alertRecords(ctx.em, [alert]);
  return new AlertView(record!);
}

/** Alerts raised by care protocols: listing, acknowledgement, resolution, the live `alerts` feed. */
@Resolver(() => AlertView)
export class AlertResolver {
  @Query(() => AlertConnection, { description: 'Alerts of your patients whose every data category your access covers, newest first.' })
  @Auth.roles(ALERT_HANDLERS, 'BY_RECORD')
  async alerts(
    @Arg('status', () => AlertStatusEnum, { nullable: true }) status: AlertStatus | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<AlertConnection> {
    const beforeSeq = after ? Cursor.toSeq(after, 'after') : null;
    const { alerts, hasNextPage } = await new AlertService(ctx).list(status ?? null, checkFirst(first), beforeSeq);
    const edges = (await alertRecords(ctx.em, alerts)).map((record) => {
      const node = new AlertView(record);
      return { cursor: node.openedCursor, node };
    });
    return { edges, pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Query(() => AlertView, { description: 'One alert; NOT_FOUND outside your access.' })
  @Auth.roles(ALERT_HANDLERS, 'BY_RECORD')
  async alert(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<AlertView> {
    return toView(ctx, await new AlertService(ctx).require(id));
  }

  @Mutation(() => AlertView, { description: 'Acknowledges an alert: its escalation chain stops. Acknowledging again changes nothing.' })
  @Auth.roles(ALERT_HANDLERS, 'BY_RECORD')
  async acknowledgeAlert(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<AlertView> {
    return toView(ctx, await new AlertService(ctx).acknowledge(id));
  }

  @Mutation(() => AlertView, { description: 'Resolves an alert with a note (required).' })
  @Auth.roles(ALERT_HANDLERS, 'BY_RECORD')
  async resolveAlert(@Arg('id', () => ID) id: string, @Arg('note', () => String) note: string, @Ctx() ctx: RequestContext): Promise<AlertView> {
    return toView(ctx, await new AlertService(ctx).resolve(id, note));
  }

  @Subscription(() => AlertEvent, {
    name: 'alerts',
    description:
      'Alert changes meant for you (routed to your care-team role or paged to you, within your access). With `since`, replays everything after that cursor first, with no gap and no duplicate.',
    subscribe: async ({ args, context }) => {
      const ctx = context as RequestContext;
      const since = args['since'] as string | null | undefined;
      const sinceSeq = since ? Cursor.toSeq(since, 'since') : null;
      const stream = await ctx.services.feed.openAlerts(ctx.access, ctx.em, sinceSeq, () => ctx.disconnect?.(CradleCloseCode.SlowConsumer, 'Slow consumer: resume with since'));
      ctx.releaseEm();
      return stream;
    },
  })
  @Auth.roles(ALERT_HANDLERS, 'OPERATIONAL')
  alertEvents(
    @Root() event: AlertEvent,
    @Arg('since', () => String, { nullable: true, description: 'Resume after this cursor.' }) _since: string | null,
  ): AlertEvent {
    return event;
  }

  @FieldResolver(() => PatientView)
  @Auth.category('IDENTITY')
  async patient(@Root() alert: AlertView, @Ctx() ctx: RequestContext): Promise<PatientView> {
    return new PatientView(await new PatientService(ctx).get(alert.patientId, 'patient'), ctx.services.now());
  }

  @FieldResolver(() => [StatusUpdateView], { description: 'The status updates that made the protocol match (those you may read).' })
  @Auth.category('BY_RECORD')
  async evidence(@Root() alert: AlertView, @Ctx() ctx: RequestContext): Promise<StatusUpdateView[]> {
    const service = new AlertService(ctx);
    const row = await service.require(alert.id);
    return (await service.evidence(row)).map((r) => new StatusUpdateView(r));
  }

  @FieldResolver(() => [AlertHistoryEntryView], { description: 'Every step of the alert: raised, paged (tier, round), acknowledged, resolved; who and when.' })
  @Auth.category('BY_RECORD')
  async history(@Root() alert: AlertView, @Ctx() ctx: RequestContext): Promise<AlertHistoryEntryView[]> {
    const service = new AlertService(ctx);
    const row = await service.require(alert.id);
    return (await service.history(row)).map((h) => new AlertHistoryEntryView(h, alert.recordCategories));
  }

  @Query(() => [SafetyMessageView], { description: 'The safety messages care protocols sent you (the patient), newest first.' })
  @Auth.roles(['PATIENT'], 'IDENTITY')
  async mySafetyMessages(@Ctx() ctx: RequestContext): Promise<SafetyMessageView[]> {
    const actor = ctx.access.requireActor();
    const own = await ctx.em.findOne(Patient, { tenantId: actor.tenantId, userId: actor.userId }, { fields: ['id'] });
    if (!own) return [];
    const rows = await ctx.em.find(SafetyMessage, { tenantId: actor.tenantId, patientId: own.id }, { orderBy: { sentAt: 'desc' }, limit: 100 });
    return rows.map((r) => new SafetyMessageView(r));
  }
}
