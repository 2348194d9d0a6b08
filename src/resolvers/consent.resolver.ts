import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { ConsentService } from '../care/consent.service.js';
import type { RequestContext } from '../context.js';
import { Auth } from '../schema/auth.directive.js';
import { ConsentView, GrantConsentInput } from '../schema/care/consent.type.js';

/** A patient's consents: she manages them; her care team can read them. */
@Resolver()
export class ConsentResolver {
  @Mutation(() => ConsentView, { description: 'Gives a consent (the patient herself).' })
  @Auth.roles(['PATIENT'], 'CARE_TEAM')
  async grantConsent(@Arg('input', () => GrantConsentInput) input: GrantConsentInput, @Ctx() ctx: RequestContext): Promise<ConsentView> {
    return new ConsentView(await new ConsentService(ctx).grant(input), ctx.services.now());
  }

  @Mutation(() => ConsentView, { description: 'Revokes a consent (the patient herself); takes effect at once, live subscriptions included.' })
  @Auth.roles(['PATIENT'], 'CARE_TEAM')
  async revokeConsent(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ConsentView> {
    return new ConsentView(await new ConsentService(ctx).revoke(id), ctx.services.now());
  }

  @Query(() => [ConsentView], { description: "A patient's consents, newest first." })
  @Auth.roles(['PATIENT', 'PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR'], 'CARE_TEAM')
  async consents(@Arg('patientId', () => ID) patientId: string, @Ctx() ctx: RequestContext): Promise<ConsentView[]> {
    const now = ctx.services.now();
    return (await new ConsentService(ctx).list(patientId)).map((c) => new ConsentView(c, now));
  }
}
