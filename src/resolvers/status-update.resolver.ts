import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { STATUS_KIND_CATEGORY } from '../auth/data-category.js';
import { PatientService } from '../care/patient.service.js';
import type { RequestContext } from '../context.js';
import { StatusUpdate, type StatusKind, type StatusUpdateDeletionReason } from '../db/entities/index.js';
import { BadInputError, NotFoundError } from '../errors.js';
import { CradleCloseCode } from '../realtime/close-codes.js';
import { Auth } from '../schema/auth.directive.js';
import { PatientView } from '../schema/care/patient.type.js';
import { Cursor } from '../schema/common/cursor.js';
import { StatusKindEnum, StatusUpdateDeletionReasonEnum } from '../schema/common/enums.js';
import {
  LogFeedingInput, LogInfantVitalsInput, LogMoodInput, LogSleepInput, LogSymptomsInput, LogVitalsInput, SubmitScreeningInput,
} from '../schema/status/status-update.input.js';
import { StatusUpdateConnection, StatusUpdateDeletionView, StatusUpdateEvent, StatusUpdateView } from '../schema/status/status-update.type.js';
import { StatusUpdateDeletionService } from '../status/status-update-deletion.service.js';
import { StatusUpdateService } from '../status/status-update.service.js';
import { checkId } from '../status/input-checks.js';
import { checkFirst } from './patient.resolver.js';

/** Who may log observations: the patient and the clinical roles (each further limited by category). */
const LOGGERS = ['PATIENT', 'PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR'] as const;

/** Largest number of patient ids one live subscription may name. */
const MAX_SUBSCRIBED_PATIENTS = 500;

/** What patients log, its history, and its live feed. */
@Resolver(() => StatusUpdateView)
export class StatusUpdateResolver {
  @Mutation(() => StatusUpdateView)
  @Auth.roles(LOGGERS, 'MENTAL_HEALTH')
  async logMood(@Arg('input', () => LogMoodInput) input: LogMoodInput, @Ctx() ctx: RequestContext): Promise<StatusUpdateView> {
    return new StatusUpdateView(await new StatusUpdateService(ctx).logMood(input));
  }

  @Mutation(() => StatusUpdateView)
  @Auth.roles(LOGGERS, 'FEEDING')
  async logFeeding(@Arg('input', () => LogFeedingInput) input: LogFeedingInput, @Ctx() ctx: RequestContext): Promise<StatusUpdateView> {
    return new StatusUpdateView(await new StatusUpdateService(ctx).logFeeding(input));
  }

  @Mutation(() => StatusUpdateView)
  @Auth.roles(LOGGERS, 'MATERNAL')
  async logSleep(@Arg('input', () => LogSleepInput) input: LogSleepInput, @Ctx() ctx: RequestContext): Promise<StatusUpdateView> {
    return new StatusUpdateView(await new StatusUpdateService(ctx).logSleep(input));
  }

  @Mutation(() => StatusUpdateView)
  @Auth.roles(LOGGERS, 'MATERNAL')
  async logVitals(@Arg('input', () => LogVitalsInput) input: LogVitalsInput, @Ctx() ctx: RequestContext): Promise<StatusUpdateView> {
    return new StatusUpdateView(await new StatusUpdateService(ctx).logVitals(input));
  }

  @Mutation(() => StatusUpdateView)
  @Auth.roles(LOGGERS, 'INFANT')
  async logInfantVitals(
    @Arg('input', () => LogInfantVitalsInput) input: LogInfantVitalsInput,
    @Ctx() ctx: RequestContext,
  ): Promise<StatusUpdateView> {
    return new StatusUpdateView(await new StatusUpdateService(ctx).logInfantVitals(input));
  }

  @Mutation(() => StatusUpdateView)
  @Auth.roles(LOGGERS, 'MATERNAL')
  async logSymptoms(@Arg('input', () => LogSymptomsInput) input: LogSymptomsInput, @Ctx() ctx: RequestContext): Promise<StatusUpdateView> {
    return new StatusUpdateView(await new StatusUpdateService(ctx).logSymptoms(input));
  }

  @Mutation(() => StatusUpdateView, { description: 'Submits a screening questionnaire; the server validates and scores it.' })
  @Auth.roles(LOGGERS, 'MENTAL_HEALTH')
  async submitScreening(
    @Arg('input', () => SubmitScreeningInput) input: SubmitScreeningInput,
    @Ctx() ctx: RequestContext,
  ): Promise<StatusUpdateView> {
    return new StatusUpdateView(await new StatusUpdateService(ctx).submitScreening(input));
  }

  @Mutation(() => StatusUpdateDeletionView, {
    description:
      'Deletes a status update softly: hidden from every read from now on, kept (with who, when and why) for the retention period, ' +
      'with a tombstone in the audit trail. The patient may delete an entry she logged within the correction window; a clinician ' +
      'on her care team whose role covers its category, at any time. Break-glass access may not.',
  })
  @Auth.roles(LOGGERS, 'BY_RECORD')
  async deleteStatusUpdate(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => StatusUpdateDeletionReasonEnum) reason: StatusUpdateDeletionReason,
    @Ctx() ctx: RequestContext,
  ): Promise<StatusUpdateDeletionView> {
    return new StatusUpdateDeletionView(await new StatusUpdateDeletionService(ctx).delete(id, reason));
  }

  @Query(() => StatusUpdateConnection, { description: "A patient's status updates the caller may see, newest first." })
  @Auth.roles(LOGGERS, 'BY_RECORD')
  async statusUpdates(
    @Arg('patientId', () => ID) patientId: string,
    @Arg('kinds', () => [StatusKindEnum], { nullable: true }) kinds: StatusKind[] | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<StatusUpdateConnection> {
    const actor = ctx.access.requireActor();
    const id = checkId(patientId, 'patientId', NotFoundError.patient);
    const size = checkFirst(first);
    const beforeSeq = after ? Cursor.toSeq(after, 'after') : null;
    const grant = await ctx.access.grantFor(id);
    if (!grant) throw NotFoundError.patient();
    const visibleKinds = (kinds ?? (Object.keys(STATUS_KIND_CATEGORY) as StatusKind[])).filter((k) => grant.categories.has(STATUS_KIND_CATEGORY[k]));
    if (visibleKinds.length === 0) return { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
    const rows = await ctx.em.find(
      StatusUpdate,
      { tenantId: actor.tenantId, patientId: id, kind: { $in: visibleKinds }, ...(beforeSeq !== null ? { seq: { $lt: beforeSeq } } : {}) },
      { orderBy: { seq: 'desc' }, limit: size + 1 },
    );
    const edges = rows.slice(0, size).map((row) => {
      const node = new StatusUpdateView(row);
      return { cursor: node.cursor, node };
    });
    return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Subscription(() => StatusUpdateEvent, {
    description:
      'Live status updates the caller may see, routed by care-team role. With `since`, replays everything after that cursor first, with no gap and no duplicate.',
    subscribe: async ({ args, context }) => {
      const ctx = context as RequestContext;
      const patientIds = (args['patientIds'] as string[] | null | undefined) ?? null;
      if (patientIds && patientIds.length > MAX_SUBSCRIBED_PATIENTS) {
        throw BadInputError.field('patientIds', `patientIds may name at most ${MAX_SUBSCRIBED_PATIENTS} patients.`);
      }
      const since = args['since'] as string | null | undefined;
      const sinceSeq = since ? Cursor.toSeq(since, 'since') : null;
      const ids = patientIds?.map((id, i) => checkId(id, `patientIds[${i}]`, NotFoundError.patient)) ?? null;
      const stream = await ctx.services.feed.open(ctx.access, ctx.em, { patientIds: ids, kinds: (args['kinds'] as StatusKind[] | null) ?? null, sinceSeq }, () =>
        ctx.disconnect?.(CradleCloseCode.SlowConsumer, 'Slow consumer: resume with since'),
      );
      // The feed keeps the grants and forks its own EntityManagers from here on.
      ctx.releaseEm();
      return stream;
    },
  })
  @Auth.roles(LOGGERS, 'BY_RECORD')
  patientUpdates(
    @Root() event: StatusUpdateEvent,
    @Arg('patientIds', () => [ID], { nullable: true }) _patientIds: string[] | null,
    @Arg('kinds', () => [StatusKindEnum], { nullable: true }) _kinds: StatusKind[] | null,
    @Arg('since', () => String, { nullable: true, description: 'Resume after this cursor.' }) _since: string | null,
  ): StatusUpdateEvent {
    return event;
  }

  @FieldResolver(() => PatientView)
  @Auth.category('IDENTITY')
  async patient(@Root() update: StatusUpdateView, @Ctx() ctx: RequestContext): Promise<PatientView> {
    return new PatientView(await new PatientService(ctx).get(update.patientId, 'patient'), ctx.services.now());
  }
}
