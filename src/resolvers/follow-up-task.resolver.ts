import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { FollowUpTaskService } from '../alerting/follow-up-task.service.js';
import { PatientService } from '../care/patient.service.js';
import type { RequestContext } from '../context.js';
import type { FollowUpTaskStatus } from '../db/entities/index.js';
import { Auth } from '../schema/auth.directive.js';
import { FollowUpTaskConnection, FollowUpTaskView } from '../schema/alert/follow-up-task.type.js';
import { PatientView } from '../schema/care/patient.type.js';
import { FollowUpTaskStatusEnum } from '../schema/common/enums.js';
import { checkFirst } from './patient.resolver.js';

/** The care-team clinicians, who receive protocol tasks (each limited to patients and categories of their grants). */
const TASK_HANDLERS = ['PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR'] as const;

/** Follow-up tasks created by care protocols: listing and completion. */
@Resolver(() => FollowUpTaskView)
export class FollowUpTaskResolver {
  @Query(() => FollowUpTaskConnection, {
    description: "Follow-up tasks of your patients whose every data category your access covers (or of one patient: NOT_FOUND outside your access), soonest due first.",
  })
  @Auth.roles(TASK_HANDLERS, 'BY_RECORD')
  async followUpTasks(
    @Arg('patientId', () => ID, { nullable: true }) patientId: string | null,
    @Arg('status', () => FollowUpTaskStatusEnum, { nullable: true }) status: FollowUpTaskStatus | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<FollowUpTaskConnection> {
    const { tasks, hasNextPage } = await new FollowUpTaskService(ctx).list({ patientId: patientId ?? null, status: status ?? null, first: checkFirst(first), after: after ?? null });
    const edges = tasks.map((row) => {
      const node = new FollowUpTaskView(row);
      return { cursor: node.cursor, node };
    });
    return { edges, pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Mutation(() => FollowUpTaskView, { description: 'Marks a follow-up task done, with an optional note. CONFLICT if it is already done.' })
  @Auth.roles(TASK_HANDLERS, 'BY_RECORD')
  async completeFollowUpTask(
    @Arg('id', () => ID) id: string,
    @Arg('note', () => String, { nullable: true }) note: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<FollowUpTaskView> {
    return new FollowUpTaskView(await new FollowUpTaskService(ctx).complete(id, note ?? null));
  }

  @FieldResolver(() => PatientView)
  @Auth.category('IDENTITY')
  async patient(@Root() task: FollowUpTaskView, @Ctx() ctx: RequestContext): Promise<PatientView> {
    return new PatientView(await new PatientService(ctx).get(task.patientId, 'patient'), ctx.services.now());
  }
}
