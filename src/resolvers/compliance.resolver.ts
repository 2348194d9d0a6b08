import { Arg, Ctx, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { ComplianceService } from '../audit/compliance/compliance-service.js';
import { complianceEventsBefore, ComplianceEventStream, type ComplianceEventRecord } from '../audit/compliance/compliance-store.js';
import type { RequestContext } from '../context.js';
import { Auth } from '../schema/auth.directive.js';
import {
  ComplianceEventConnection, ComplianceEventView, ComplianceReport, ComplianceThresholdsInput, ComplianceThresholdsView,
} from '../schema/audit/compliance.type.js';
import { Cursor } from '../schema/common/cursor.js';
import { checkFirst } from './patient.resolver.js';

const OFFICERS = ['COMPLIANCE_OFFICER'] as const;

/** Compliance monitoring: events raised by the rules (listed and live), thresholds, and the period report. */
@Resolver()
export class ComplianceResolver {
  @Query(() => ComplianceEventConnection, { name: 'complianceEvents', description: "The tenant's compliance events, newest first (COMPLIANCE_OFFICER)." })
  @Auth.roles(OFFICERS, 'AUDIT')
  async complianceEventList(
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<ComplianceEventConnection> {
    const actor = ctx.access.requireActor();
    const size = checkFirst(first);
    const beforeSeq = after ? Cursor.toSeq(after, 'after') : null;
    const rows = await complianceEventsBefore(ctx.em, actor.tenantId, beforeSeq, size + 1);
    const edges = rows.slice(0, size).map((r) => {
      const node = new ComplianceEventView(r);
      return { cursor: node.cursor, node };
    });
    return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Subscription(() => ComplianceEventView, {
    name: 'complianceEvents',
    description: 'Compliance events as they are raised (COMPLIANCE_OFFICER). With `since`, replays every event after that cursor first, with no gap and no duplicate.',
    subscribe: async ({ args, context }) => {
      const ctx = context as RequestContext;
      const actor = ctx.access.requireActor();
      const since = args['since'] as string | null | undefined;
      const sinceSeq = since ? Cursor.toSeq(since, 'since') : null;
      return ComplianceEventStream.open(ctx.services.bus, () => ctx.em, actor.tenantId, sinceSeq);
    },
  })
  @Auth.roles(OFFICERS, 'AUDIT')
  complianceEventFeed(
    @Root() event: ComplianceEventRecord,
    @Arg('since', () => String, { nullable: true, description: 'Resume after this cursor.' }) _since: string | null,
  ): ComplianceEventView {
    return new ComplianceEventView(event);
  }

  @Query(() => ComplianceThresholdsView, { description: "The tenant's compliance thresholds (COMPLIANCE_OFFICER, ADMIN)." })
  @Auth.roles(['COMPLIANCE_OFFICER', 'ADMIN'], 'AUDIT')
  complianceThresholds(@Ctx() ctx: RequestContext): Promise<ComplianceThresholdsView> {
    return new ComplianceService(ctx).thresholds();
  }

  @Mutation(() => ComplianceThresholdsView, { description: "Changes the tenant's compliance thresholds; omitted ones are unchanged (COMPLIANCE_OFFICER, ADMIN)." })
  @Auth.roles(['COMPLIANCE_OFFICER', 'ADMIN'], 'AUDIT')
  setComplianceThresholds(@Arg('input', () => ComplianceThresholdsInput) input: ComplianceThresholdsInput, @Ctx() ctx: RequestContext): Promise<ComplianceThresholdsView> {
    return new ComplianceService(ctx).setThresholds({ ...input });
  }

  @Query(() => ComplianceReport, { description: 'Accesses by purpose and outcome, incidents by rule and break-glass reviews in [from, to) (COMPLIANCE_OFFICER).' })
  @Auth.roles(OFFICERS, 'AUDIT')
  complianceReport(@Arg('from', () => Date) from: Date, @Arg('to', () => Date) to: Date, @Ctx() ctx: RequestContext): Promise<ComplianceReport> {
    return new ComplianceService(ctx).report(from, to);
  }
}
