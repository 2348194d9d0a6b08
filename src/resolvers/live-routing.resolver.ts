import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { CLINICAL_ROLES, STATUS_KINDS, Tenant, type ClinicalRole, type StatusKind } from '../db/entities/index.js';
import { BadInputError } from '../errors.js';
import { Channels } from '../realtime/event-bus.js';
import type { AccessChange } from '../realtime/live-feed.js';
import { DEFAULT_RELEVANCE, relevanceTable } from '../realtime/relevance.js';
import { Auth } from '../schema/auth.directive.js';
import { CareTeamRoleEnum, StatusKindEnum } from '../schema/common/enums.js';
import { LiveRoutingRuleView } from '../schema/realtime/live-routing.type.js';

function rules(overrides: Record<string, string[]> | null | undefined): LiveRoutingRuleView[] {
  const table = relevanceTable(overrides);
  return STATUS_KINDS.map((kind) => ({ kind, roles: [...table[kind]], isDefault: overrides?.[kind] === undefined }));
}

/** The tenant's live-routing table: which care-team roles each kind of update is relevant to. */
@Resolver()
export class LiveRoutingResolver {
  @Query(() => [LiveRoutingRuleView], { description: "The tenant's live-routing table." })
  @Auth.roles(['ADMIN', 'CARE_COORDINATOR'], 'OPERATIONAL')
  async liveRouting(@Ctx() ctx: RequestContext): Promise<LiveRoutingRuleView[]> {
    const actor = ctx.access.requireActor();
    const tenant = await ctx.em.findOneOrFail(Tenant, { id: actor.tenantId });
    return rules(tenant.liveRouting);
  }

  @Mutation(() => [LiveRoutingRuleView], {
    description: 'Sets which care-team roles receive a kind of update live (ADMIN). Takes effect on open subscriptions at once; never widens access.',
  })
  @Auth.roles(['ADMIN'], 'OPERATIONAL')
  async setLiveRouting(
    @Arg('kind', () => StatusKindEnum) kind: StatusKind,
    @Arg('roles', () => [CareTeamRoleEnum]) roles: ClinicalRole[],
    @Ctx() ctx: RequestContext,
  ): Promise<LiveRoutingRuleView[]> {
    const actor = ctx.access.requireActor();
    if (new Set(roles).size !== roles.length || !roles.every((r) => (CLINICAL_ROLES as readonly string[]).includes(r))) {
      throw BadInputError.field('roles', 'roles must list care-team roles, each at most once.');
    }
    const tenant = await ctx.em.findOneOrFail(Tenant, { id: actor.tenantId });
    const overrides = { ...(tenant.liveRouting ?? {}) };
    const isDefault = roles.length === DEFAULT_RELEVANCE[kind].length && roles.every((r) => DEFAULT_RELEVANCE[kind].includes(r));
    if (isDefault) delete overrides[kind];
    else overrides[kind] = [...roles];
    tenant.liveRouting = Object.keys(overrides).length > 0 ? overrides : null;
    await ctx.em.flush();
    const change: AccessChange = { type: 'ROUTING' };
    try {
      await ctx.services.bus.publish(Channels.tenantAccess(actor.tenantId), JSON.stringify(change));
    } catch (err) {
      ctx.logger.error({ err }, 'could not announce a routing change on the bus');
    }
    return rules(tenant.liveRouting);
  }
}
