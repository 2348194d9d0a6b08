import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { EmergencyAccessService } from '../care/emergency-access.service.js';
import type { RequestContext } from '../context.js';
import type { EmergencyReviewOutcome } from '../db/entities/index.js';
import { Auth } from '../schema/auth.directive.js';
import { EmergencyAccessView } from '../schema/care/emergency-access.type.js';
import { EmergencyReviewOutcomeEnum } from '../schema/common/enums.js';

/** Break-glass emergency access and its compliance review. */
@Resolver()
export class EmergencyAccessResolver {
  @Mutation(() => EmergencyAccessView, {
    description: 'Takes time-limited emergency access to a patient outside your care team; a compliance officer reviews it afterwards.',
  })
  @Auth.roles(['PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR'], 'OPERATIONAL')
  async requestEmergencyAccess(
    @Arg('patientId', () => ID) patientId: string,
    @Arg('justification', () => String) justification: string,
    @Ctx() ctx: RequestContext,
  ): Promise<EmergencyAccessView> {
    return new EmergencyAccessView(await new EmergencyAccessService(ctx).request(patientId, justification));
  }

  @Mutation(() => EmergencyAccessView, { description: 'Records the review of an emergency access (COMPLIANCE_OFFICER).' })
  @Auth.roles(['COMPLIANCE_OFFICER'], 'OPERATIONAL')
  async reviewEmergencyAccess(
    @Arg('id', () => ID) id: string,
    @Arg('outcome', () => EmergencyReviewOutcomeEnum) outcome: EmergencyReviewOutcome,
    @Arg('note', () => String) note: string,
    @Ctx() ctx: RequestContext,
  ): Promise<EmergencyAccessView> {
    return new EmergencyAccessView(await new EmergencyAccessService(ctx).review(id, outcome, note));
  }

  @Query(() => [EmergencyAccessView], { description: 'Emergency accesses waiting for review, oldest first (COMPLIANCE_OFFICER).' })
  @Auth.roles(['COMPLIANCE_OFFICER'], 'OPERATIONAL')
  async pendingEmergencyAccessReviews(@Ctx() ctx: RequestContext): Promise<EmergencyAccessView[]> {
    return (await new EmergencyAccessService(ctx).pendingReviews()).map((g) => new EmergencyAccessView(g));
  }
}
