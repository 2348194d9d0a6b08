import { Field, Float, ID, ObjectType } from 'type-graphql';
import type { AuditOutcome, PurposeOfUse } from '../../audit/audit-entry.js';
import type { Role } from '../../db/entities/index.js';
import { Auth } from '../auth.directive.js';
import { AuditOutcomeEnum, PurposeOfUseEnum, RoleEnum } from '../common/enums.js';
import { PageInfo } from '../common/page-info.type.js';

/** Who reads audit records: compliance officers (all of a patient's), and patients (accesses to their own record). */
const READERS = ['COMPLIANCE_OFFICER', 'PATIENT'] as const;
/** Request details only compliance officers see. */
const OFFICERS = ['COMPLIANCE_OFFICER'] as const;

/** One audit record as the API shows it: who, when, why, which fields, with what outcome; never a value. */
@ObjectType('AuditEvent', { description: 'One audited access or event: names of fields, never their values.' })
export class AuditEventView {
  @Field(() => Float, { description: "The record's place in its tenant's hash chain (1, 2, 3…)." })
  @Auth.roles(READERS, 'AUDIT')
  readonly seq: number;

  @Field(() => Date)
  @Auth.roles(READERS, 'AUDIT')
  readonly occurredAt: Date;

  @Field(() => String, { description: 'USER, or SYSTEM for the server itself.' })
  @Auth.roles(READERS, 'AUDIT')
  readonly actorType: string;

  @Field(() => String, { description: "The user's id, or the system component's name." })
  @Auth.roles(OFFICERS, 'AUDIT')
  readonly actorId: string;

  @Field(() => RoleEnum, { nullable: true })
  @Auth.roles(READERS, 'AUDIT')
  readonly actorRole: Role | null;

  @Field(() => String, { nullable: true })
  @Auth.roles(READERS, 'AUDIT')
  readonly actorDisplayName: string | null;

  @Field(() => ID, { nullable: true })
  @Auth.roles(READERS, 'AUDIT')
  readonly patientId: string | null;

  @Field(() => String, { description: 'READ, CREATE, UPDATE, DELETE, or a named event (LOGIN, EMERGENCY_ACCESS_REQUESTED, AUDIT_TRAIL_READ…).' })
  @Auth.roles(READERS, 'AUDIT')
  readonly action: string;

  @Field(() => [String], { description: 'The fields touched, as schema coordinates (Patient.givenName).' })
  @Auth.roles(READERS, 'AUDIT')
  readonly fields: string[];

  @Field(() => PurposeOfUseEnum, { nullable: true })
  @Auth.roles(READERS, 'AUDIT')
  readonly purpose: PurposeOfUse | null;

  @Field(() => AuditOutcomeEnum)
  @Auth.roles(READERS, 'AUDIT')
  readonly outcome: AuditOutcome;

  @Field(() => String, { nullable: true })
  @Auth.roles(OFFICERS, 'AUDIT')
  readonly requestId: string | null;

  @Field(() => String, { nullable: true })
  @Auth.roles(OFFICERS, 'AUDIT')
  readonly clientIp: string | null;

  @Field(() => String, { nullable: true })
  @Auth.roles(OFFICERS, 'AUDIT')
  readonly userAgent: string | null;

  @Field(() => String, { description: 'Ids and counts explaining the record, as JSON.' })
  @Auth.roles(OFFICERS, 'AUDIT')
  readonly details: string;

  constructor(row: Omit<AuditEventView, 'details'> & { details: Record<string, unknown> }) {
    this.seq = row.seq;
    this.occurredAt = row.occurredAt;
    this.actorType = row.actorType;
    this.actorId = row.actorId;
    this.actorRole = row.actorRole;
    this.actorDisplayName = row.actorDisplayName;
    this.patientId = row.patientId;
    this.action = row.action;
    this.fields = row.fields;
    this.purpose = row.purpose;
    this.outcome = row.outcome;
    this.requestId = row.requestId;
    this.clientIp = row.clientIp;
    this.userAgent = row.userAgent;
    this.details = JSON.stringify(row.details);
  }
}

@ObjectType()
export class AuditEdge {
  @Field(() => String)
  @Auth.roles(READERS, 'AUDIT')
  cursor!: string;

  @Field(() => AuditEventView)
  @Auth.roles(READERS, 'AUDIT')
  node!: AuditEventView;
}

@ObjectType({ description: 'A page of audit records, newest first.' })
export class AuditConnection {
  @Field(() => [AuditEdge])
  @Auth.roles(READERS, 'AUDIT')
  edges!: AuditEdge[];

  @Field(() => PageInfo)
  @Auth.roles(READERS, 'AUDIT')
  pageInfo!: PageInfo;
}

/** The result of `verifyAuditChain`. */
@ObjectType({ description: "Whether the tenant's audit hash chain is intact, and where it first breaks." })
export class AuditChainStatus {
  @Field(() => Boolean)
  @Auth.roles(OFFICERS, 'AUDIT')
  valid!: boolean;

  @Field(() => Float, { nullable: true, description: 'The seq of the first broken link (edited, deleted, reordered or cut-off record).' })
  @Auth.roles(OFFICERS, 'AUDIT')
  brokenAt!: number | null;

  @Field(() => Float, { description: 'The last seq found.' })
  @Auth.roles(OFFICERS, 'AUDIT')
  lastSeq!: number;
}
