import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { patientTrail, type AuditListing } from '../audit/audit-reader.js';
import type { RequestContext } from '../context.js';
import { Patient } from '../db/entities/index.js';
import { NotFoundError } from '../errors.js';
import { Auth } from '../schema/auth.directive.js';
import { AuditChainStatus, AuditConnection, AuditEventView } from '../schema/audit/audit-event.type.js';
import { Cursor } from '../schema/common/cursor.js';
import { checkId } from '../status/input-checks.js';
import { checkFirst } from './patient.resolver.js';

function connectionOf(rows: readonly AuditListing[], size: number): AuditConnection {
  const edges = rows.slice(0, size).map((row) => ({ cursor: Cursor.ofSeq(row.seq), node: new AuditEventView(row) }));
  return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
}

/** The audit trail: a patient's accesses for compliance officers, a patient's own accounting of disclosures, and chain verification. */
@Resolver()
export class AuditResolver {
  @Query(() => AuditConnection, { description: "Every audit record about a patient of the caller's tenant, newest first (COMPLIANCE_OFFICER). Reading it is audited." })
  @Auth.roles(['COMPLIANCE_OFFICER'], 'AUDIT')
  async auditTrail(
    @Arg('patientId', () => ID) patientId: string,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<AuditConnection> {
    const actor = ctx.access.requireActor();
    const id = checkId(patientId, 'patientId', NotFoundError.patient);
    const size = checkFirst(first);
    const beforeSeq = after ? Cursor.toSeq(after, 'after') : null;
    const patient = await ctx.em.findOne(Patient, { id, tenantId: actor.tenantId }, { fields: ['id'] });
    if (!patient) {
      ctx.phiAccess.event({ patientId: id, action: 'AUDIT_TRAIL_READ', outcome: 'DENIED', purpose: 'OPERATIONS' });
      throw NotFoundError.patient();
    }
    const rows = await patientTrail(ctx.em, { tenantId: actor.tenantId, patientId: id, beforeSeq, limit: size + 1 });
    ctx.phiAccess.event({ patientId: id, action: 'AUDIT_TRAIL_READ', outcome: 'ALLOWED', purpose: 'OPERATIONS', details: { records: Math.min(rows.length, size) } });
    return connectionOf(rows, size);
  }

  @Query(() => AuditConnection, {
    description: "Who accessed the caller's own patient record, newest first: when, who (name and role), why, which fields, and the outcome (PATIENT). Her own accesses are left out.",
  })
  @Auth.roles(['PATIENT'], 'AUDIT')
  async myAccessReport(
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<AuditConnection> {
    const actor = ctx.access.requireActor();
    const size = checkFirst(first);
    const beforeSeq = after ? Cursor.toSeq(after, 'after') : null;
    const own = await ctx.em.findOne(Patient, { tenantId: actor.tenantId, userId: actor.userId }, { fields: ['id'] });
    if (!own) return { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
    const rows = await patientTrail(ctx.em, { tenantId: actor.tenantId, patientId: own.id, accessesExcludingUser: actor.userId, beforeSeq, limit: size + 1 });
    ctx.phiAccess.event({ patientId: own.id, action: 'ACCESS_REPORT_READ', outcome: 'ALLOWED', purpose: 'TREATMENT', details: { records: Math.min(rows.length, size) } });
    return connectionOf(rows, size);
  }

  @Query(() => AuditChainStatus, {
    description: "Walks the caller's tenant's audit hash chain and compares its end with the latest signed checkpoint (COMPLIANCE_OFFICER).",
  })
  @Auth.roles(['COMPLIANCE_OFFICER'], 'AUDIT')
  async verifyAuditChain(@Ctx() ctx: RequestContext): Promise<AuditChainStatus> {
    const actor = ctx.access.requireActor();
    const result = await ctx.services.auditTrail.verify(ctx.em, actor.tenantId);
    ctx.phiAccess.event({ patientId: null, action: 'AUDIT_CHAIN_VERIFIED', outcome: 'ALLOWED', purpose: 'OPERATIONS', details: { valid: result.valid, brokenAt: result.brokenAt } });
    return { valid: result.valid, brokenAt: result.brokenAt, lastSeq: result.lastSeq };
  }
}
