import type { RequestContext } from '../../context.js';
import { ACCESS_ACTIONS, mergeThresholds, storedThresholds, type ComplianceRule, type ComplianceThresholds } from './compliance-rules.js';
import type { AuditOutcome, PurposeOfUse } from '../audit-entry.js';
import { BadInputError } from '../../errors.js';

/** What `complianceReport(from, to)` summarises. */
export interface ComplianceSummary {
  readonly from: Date;
  readonly to: Date;
  readonly accesses: Array<{ purpose: PurposeOfUse | null; outcome: AuditOutcome; count: number }>;
  readonly incidents: Array<{ rule: ComplianceRule; count: number }>;
  readonly breakGlass: { granted: number; reviewedAppropriate: number; reviewedInappropriate: number; pendingReview: number };
}

/** Longest period one report may cover, in days. */
const MAX_REPORT_DAYS = 3660;

/** A tenant's compliance settings and reports, for compliance officers (and admins, for the thresholds). */
export class ComplianceService {
  constructor(private readonly ctx: RequestContext) {}

  /** The caller's tenant's thresholds (the defaults until changed). */
  async thresholds(): Promise<ComplianceThresholds> {
    const actor = this.ctx.access.requireActor();
    const [row] = await this.ctx.em.execute<Array<{ thresholds: unknown }>>(`select "thresholds" from "compliance_settings" where "tenant_id" = ?`, [actor.tenantId]);
    return storedThresholds(typeof row?.thresholds === 'string' ? JSON.parse(row.thresholds) : row?.thresholds);
  }

  /** Changes some thresholds (checked; nothing stored on bad input); audited as a settings change. */
  async setThresholds(change: Partial<Record<keyof ComplianceThresholds, number | null | undefined>>): Promise<ComplianceThresholds> {
    const actor = this.ctx.access.requireActor();
    const next = mergeThresholds(await this.thresholds(), change);
    await this.ctx.em.execute(
      `insert into "compliance_settings" ("tenant_id", "thresholds", "updated_at", "updated_by") values (?, ?::jsonb, ?, ?)
       on conflict ("tenant_id") do update set "thresholds" = excluded."thresholds", "updated_at" = excluded."updated_at", "updated_by" = excluded."updated_by"`,
      [actor.tenantId, JSON.stringify(next), new Date(this.ctx.services.now()).toISOString(), actor.userId],
    );
    this.ctx.phiAccess.event({ patientId: null, action: 'COMPLIANCE_THRESHOLDS_CHANGED', outcome: 'ALLOWED', purpose: 'OPERATIONS', details: { ...next } });
    return next;
  }

  /** Accesses by purpose and outcome, incidents by rule and break-glass reviews in [from, to). */
  async report(from: Date, to: Date): Promise<ComplianceSummary> {
    const actor = this.ctx.access.requireActor();
    if (Number.isNaN(from.getTime())) throw BadInputError.field('from', 'from must be a date-time.');
    if (Number.isNaN(to.getTime()) || to <= from) throw BadInputError.field('to', 'to must be a date-time after from.');
    if (to.getTime() - from.getTime() > MAX_REPORT_DAYS * 86_400_000) throw BadInputError.field('to', `A report covers at most ${MAX_REPORT_DAYS} days.`);
    const range = [actor.tenantId, from.toISOString(), to.toISOString()];
    const em = this.ctx.em;
    const [accesses, incidents, [glass]] = await Promise.all([
      em.execute<Array<{ purpose: PurposeOfUse | null; outcome: AuditOutcome; n: string }>>(
        `select "purpose", "outcome", count(*) as n from "audit_event" where "tenant_id" = ? and "occurred_at" >= ? and "occurred_at" < ?
           and "action" in (${ACCESS_ACTIONS.map((a) => `'${a}'`).join(', ')}) group by 1, 2 order by 1, 2`,
        range,
      ),
      em.execute<Array<{ rule: ComplianceRule; n: string }>>(
        `select "rule", count(*) as n from "compliance_event" where "tenant_id" = ? and "occurred_at" >= ? and "occurred_at" < ? group by 1 order by 1`,
        range,
      ),
      em.execute<Array<{ granted: string; appropriate: string; inappropriate: string; pending: string }>>(
        `select count(*) as granted, count(*) filter (where "review_outcome" = 'APPROPRIATE') as appropriate,
           count(*) filter (where "review_outcome" = 'INAPPROPRIATE') as inappropriate, count(*) filter (where "reviewed_at" is null) as pending
         from "emergency_access" where "tenant_id" = ? and "granted_at" >= ? and "granted_at" < ?`,
        range,
      ),
    ]);
    this.ctx.phiAccess.event({ patientId: null, action: 'COMPLIANCE_REPORT_READ', outcome: 'ALLOWED', purpose: 'OPERATIONS', details: { from: range[1]!, to: range[2]! } });
    return {
      from,
      to,
      accesses: accesses.map((r) => ({ purpose: r.purpose, outcome: r.outcome, count: Number(r.n) })),
      incidents: incidents.map((r) => ({ rule: r.rule, count: Number(r.n) })),
      breakGlass: {
        granted: Number(glass?.granted ?? 0),
        reviewedAppropriate: Number(glass?.appropriate ?? 0),
        reviewedInappropriate: Number(glass?.inappropriate ?? 0),
        pendingReview: Number(glass?.pending ?? 0),
      },
    };
  }
}
