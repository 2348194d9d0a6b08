import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { ComplianceEventRecord } from '../../audit/compliance/compliance-store.js';
import type { ComplianceRule, ComplianceThresholds } from '../../audit/compliance/compliance-rules.js';
import { Auth } from '../auth.directive.js';
import { Cursor } from '../common/cursor.js';
import { ComplianceRuleEnum, PurposeOfUseEnum, AuditOutcomeEnum } from '../common/enums.js';
import { PageInfo } from '../common/page-info.type.js';
import type { AuditOutcome, PurposeOfUse } from '../../audit/audit-entry.js';

const OFFICERS = ['COMPLIANCE_OFFICER'] as const;
const SETTERS = ['COMPLIANCE_OFFICER', 'ADMIN'] as const;

/** A compliance event raised by a monitoring rule: ids and counts, no PHI. */
@ObjectType('ComplianceEvent', { description: 'An incident raised by a compliance monitoring rule over the audit trail.' })
export class ComplianceEventView {
  @Field(() => ID)
  @Auth.roles(OFFICERS, 'AUDIT')
  readonly id: string;

  @Field(() => String, { description: "Resume after this event with complianceEvents(since: cursor)." })
  @Auth.roles(OFFICERS, 'AUDIT')
  readonly cursor: string;

  @Field(() => ComplianceRuleEnum)
  @Auth.roles(OFFICERS, 'AUDIT')
  readonly rule: ComplianceRule;

  @Field(() => String, { nullable: true, description: 'The user (or attempted account) concerned.' })
  @Auth.roles(OFFICERS, 'AUDIT')
  readonly actorId: string | null;

  @Field(() => ID, { nullable: true })
  @Auth.roles(OFFICERS, 'AUDIT')
  readonly patientId: string | null;

  @Field(() => Float, { description: 'The audit record that raised it.' })
  @Auth.roles(OFFICERS, 'AUDIT')
  readonly auditSeq: number;

  @Field(() => Date)
  @Auth.roles(OFFICERS, 'AUDIT')
  readonly occurredAt: Date;

  @Field(() => String, { description: 'Counts and ids explaining it, as JSON.' })
  @Auth.roles(OFFICERS, 'AUDIT')
  readonly details: string;

  constructor(record: ComplianceEventRecord) {
    this.id = record.id;
    this.cursor = Cursor.ofSeq(record.seq);
    this.rule = record.rule;
    this.actorId = record.actorId;
    this.patientId = record.patientId;
    this.auditSeq = record.auditSeq;
    this.occurredAt = record.occurredAt;
    this.details = JSON.stringify(record.details);
  }
}

@ObjectType()
export class ComplianceEventEdge {
  @Field(() => String)
  @Auth.roles(OFFICERS, 'AUDIT')
  cursor!: string;

  @Field(() => ComplianceEventView)
  @Auth.roles(OFFICERS, 'AUDIT')
  node!: ComplianceEventView;
}

@ObjectType({ description: 'A page of compliance events, newest first.' })
export class ComplianceEventConnection {
  @Field(() => [ComplianceEventEdge])
  @Auth.roles(OFFICERS, 'AUDIT')
  edges!: ComplianceEventEdge[];

  @Field(() => PageInfo)
  @Auth.roles(OFFICERS, 'AUDIT')
  pageInfo!: PageInfo;
}

/** A tenant's compliance thresholds. */
@ObjectType('ComplianceThresholds', { description: "The tenant's thresholds for the compliance rules." })
export class ComplianceThresholdsView implements ComplianceThresholds {
  @Field(() => Int, { description: 'Refused sign-ins of one account that raise REPEATED_FAILED_LOGINS…' })
  @Auth.roles(SETTERS, 'AUDIT')
  failedLogins!: number;

  @Field(() => Int, { description: '…within this many minutes.' })
  @Auth.roles(SETTERS, 'AUDIT')
  failedLoginWindowMinutes!: number;

  @Field(() => Int, { description: 'Accesses a user needs in the baseline before OUTSIDE_USUAL_HOURS can fire.' })
  @Auth.roles(SETTERS, 'AUDIT')
  usualHoursMinHistory!: number;

  @Field(() => Int, { description: 'Days of history that make up a user\'s usual hours.' })
  @Auth.roles(SETTERS, 'AUDIT')
  usualHoursBaselineDays!: number;

  @Field(() => Int, { description: 'Distinct patients one user touches that raise MANY_PATIENTS…' })
  @Auth.roles(SETTERS, 'AUDIT')
  manyPatients!: number;

  @Field(() => Int, { description: '…within this many minutes.' })
  @Auth.roles(SETTERS, 'AUDIT')
  manyPatientsWindowMinutes!: number;

  @Field(() => Int, { description: 'Patients touched by one operation that raise BULK_EXPORT.' })
  @Auth.roles(SETTERS, 'AUDIT')
  bulkExportRecords!: number;
}

/** A change of thresholds; omitted ones keep their value. */
@InputType({ description: 'New compliance thresholds; omitted ones are unchanged.' })
export class ComplianceThresholdsInput {
  @Field(() => Int, { nullable: true }) failedLogins?: number | null;
  @Field(() => Int, { nullable: true }) failedLoginWindowMinutes?: number | null;
  @Field(() => Int, { nullable: true }) usualHoursMinHistory?: number | null;
  @Field(() => Int, { nullable: true }) usualHoursBaselineDays?: number | null;
  @Field(() => Int, { nullable: true }) manyPatients?: number | null;
  @Field(() => Int, { nullable: true }) manyPatientsWindowMinutes?: number | null;
  @Field(() => Int, { nullable: true }) bulkExportRecords?: number | null;
}

@ObjectType({ description: 'Accesses with one purpose and outcome in a period.' })
export class AccessCount {
  @Field(() => PurposeOfUseEnum, { nullable: true })
  @Auth.roles(OFFICERS, 'AUDIT')
  purpose!: PurposeOfUse | null;

  @Field(() => AuditOutcomeEnum)
  @Auth.roles(OFFICERS, 'AUDIT')
  outcome!: AuditOutcome;

  @Field(() => Int)
  @Auth.roles(OFFICERS, 'AUDIT')
  count!: number;
}

@ObjectType({ description: 'Compliance events of one rule in a period.' })
export class IncidentCount {
  @Field(() => ComplianceRuleEnum)
  @Auth.roles(OFFICERS, 'AUDIT')
  rule!: ComplianceRule;

  @Field(() => Int)
  @Auth.roles(OFFICERS, 'AUDIT')
  count!: number;
}

@ObjectType({ description: 'Break-glass grants of a period and where their reviews stand.' })
export class BreakGlassSummary {
  @Field(() => Int) @Auth.roles(OFFICERS, 'AUDIT') granted!: number;
  @Field(() => Int) @Auth.roles(OFFICERS, 'AUDIT') reviewedAppropriate!: number;
  @Field(() => Int) @Auth.roles(OFFICERS, 'AUDIT') reviewedInappropriate!: number;
  @Field(() => Int) @Auth.roles(OFFICERS, 'AUDIT') pendingReview!: number;
}

@ObjectType({ description: 'A summary of access, incidents and break-glass reviews for a period.' })
export class ComplianceReport {
  @Field(() => Date) @Auth.roles(OFFICERS, 'AUDIT') from!: Date;
  @Field(() => Date) @Auth.roles(OFFICERS, 'AUDIT') to!: Date;
  @Field(() => [AccessCount], { description: 'Accesses to patient records by purpose and outcome.' })
  @Auth.roles(OFFICERS, 'AUDIT')
  accesses!: AccessCount[];
  @Field(() => [IncidentCount]) @Auth.roles(OFFICERS, 'AUDIT') incidents!: IncidentCount[];
  @Field(() => BreakGlassSummary) @Auth.roles(OFFICERS, 'AUDIT') breakGlass!: BreakGlassSummary;
}
