import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { Tenant } from '../db/entities/index.js';
import { BadInputError } from '../errors.js';
import { checkQuietHours } from '../protocols/quiet-hours.js';
import { QUIET_HOURS_ROLES, QuietHoursInput, QuietHoursView } from '../schema/alert/quiet-hours.type.js';
import { Auth } from '../schema/auth.directive.js';

/** The tenant's quiet hours for non-critical pages (see `protocols/quiet-hours.ts`). */
@Resolver()
export class QuietHoursResolver {
  @Query(() => QuietHoursView, { nullable: true, description: "The tenant's quiet hours, or null when pages always go out at once (ADMIN, CARE_COORDINATOR)." })
  @Auth.roles(QUIET_HOURS_ROLES, 'OPERATIONAL')
  async quietHours(@Ctx() ctx: RequestContext): Promise<QuietHoursView | null> {
    const actor = ctx.access.requireActor();
    const tenant = await ctx.em.findOneOrFail(Tenant, { id: actor.tenantId }, { fields: ['quietHours'] });
    return tenant.quietHours ? QuietHoursView.of(tenant.quietHours) : null;
  }

  @Mutation(() => QuietHoursView, {
    nullable: true,
    description:
      'Sets the quiet hours (null input: none). Pages of non-critical alerts that fall due inside them wait until they end; pages already held keep their time. Critical alerts are never held.',
  })
  @Auth.roles(QUIET_HOURS_ROLES, 'OPERATIONAL')
  async setQuietHours(
    @Arg('input', () => QuietHoursInput, { nullable: true }) input: QuietHoursInput | null,
    @Ctx() ctx: RequestContext,
  ): Promise<QuietHoursView | null> {
    const actor = ctx.access.requireActor();
    const quiet = input ? { start: input.start, end: input.end, timeZone: input.timeZone } : null;
    const [problem] = quiet ? checkQuietHours(quiet) : [];
    if (problem) throw BadInputError.field(problem.field, problem.message);
    const tenant = await ctx.em.findOneOrFail(Tenant, { id: actor.tenantId });
    tenant.quietHours = quiet;
    await ctx.em.flush();
    return quiet ? QuietHoursView.of(quiet) : null;
  }
}
