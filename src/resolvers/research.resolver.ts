import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { ResearchService, type AnonymisedTable } from '../research/research.service.js';
import { Auth } from '../schema/auth.directive.js';
import { AnonymisedTableView, OutcomeMetricsCriteria, ResearchCohortCriteria } from '../schema/research/research.type.js';

/** Research: anonymised, consented, k-anonymous aggregates; never a record. */
@Resolver()
export class ResearchResolver {
  @Query(() => AnonymisedTableView, {
    description: 'How many patients with a research consent covering the given categories match, by maternal age band; groups under k are withheld (RESEARCHER).',
  })
  @Auth.roles(['RESEARCHER'], 'DEIDENTIFIED')
  async researchCohort(@Arg('criteria', () => ResearchCohortCriteria) criteria: ResearchCohortCriteria, @Ctx() ctx: RequestContext): Promise<AnonymisedTable> {
    return new ResearchService(ctx, ctx.services.config.researchMinGroupSize).cohort({
      categories: criteria.categories,
      deliveredWithinDays: criteria.deliveredWithinDays ?? null,
    });
  }

  @Query(() => AnonymisedTableView, {
    description: 'An outcome measure over patients whose research consent covers its data, grouped as asked; groups under k are withheld (RESEARCHER).',
  })
  @Auth.roles(['RESEARCHER'], 'DEIDENTIFIED')
  async outcomeMetrics(@Arg('criteria', () => OutcomeMetricsCriteria) criteria: OutcomeMetricsCriteria, @Ctx() ctx: RequestContext): Promise<AnonymisedTable> {
    return new ResearchService(ctx, ctx.services.config.researchMinGroupSize).outcome(criteria.metric, criteria.groupBy);
  }
}
