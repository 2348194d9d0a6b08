import { Field, ID, ObjectType } from 'type-graphql';
import type { EmergencyAccess, EmergencyReviewOutcome } from '../../db/entities/index.js';
import { Auth } from '../auth.directive.js';
import { asDate } from '../common/dates.js';
import { EmergencyReviewOutcomeEnum } from '../common/enums.js';


/** Who may see the facts of a grant: the clinicians who can take one, and compliance officers. */
const GRANT_READERS = ['PRIMARY_CARE_PROVIDER', 'MIDWIFE', 'LACTATION_CONSULTANT', 'MENTAL_HEALTH_SPECIALIST', 'CARE_COORDINATOR', 'COMPLIANCE_OFFICER'] as const;

/**
 * A break-glass grant. Its fields describe the access, not the patient's health; the clinician who
 * took it and compliance officers see them. The justification is free text and may hold PHI, so
 * only compliance officers read it.
 */
@ObjectType('EmergencyAccessGrant', { description: 'Break-glass emergency access to a patient outside the care team.' })
export class EmergencyAccessView {
  @Field(() => ID)
  @Auth.roles(GRANT_READERS, 'OPERATIONAL')
  readonly id: string;

  @Field(() => ID)
  @Auth.roles(GRANT_READERS, 'OPERATIONAL')
  readonly patientId: string;

  @Field(() => ID, { description: 'The clinician who broke the glass.' })
  @Auth.roles(GRANT_READERS, 'OPERATIONAL')
  readonly userId: string;

  @Field(() => String)
  @Auth.roles(['COMPLIANCE_OFFICER'], 'OPERATIONAL')
  readonly justification: string;

  @Field(() => Date)
  @Auth.roles(GRANT_READERS, 'OPERATIONAL')
  readonly grantedAt: Date;

  @Field(() => Date)
  @Auth.roles(GRANT_READERS, 'OPERATIONAL')
  readonly expiresAt: Date;

  @Field(() => EmergencyReviewOutcomeEnum, { nullable: true })
  @Auth.roles(['COMPLIANCE_OFFICER'], 'OPERATIONAL')
  readonly reviewOutcome: EmergencyReviewOutcome | null;

  @Field(() => Date, { nullable: true })
  @Auth.roles(['COMPLIANCE_OFFICER'], 'OPERATIONAL')
  readonly reviewedAt: Date | null;

  @Field(() => String, { nullable: true })
  @Auth.roles(['COMPLIANCE_OFFICER'], 'OPERATIONAL')
  readonly reviewNote: string | null;

  constructor(row: EmergencyAccess) {
    this.id = row.id;
    this.patientId = row.patientId;
    this.userId = row.userId;
    this.justification = row.justification;
    this.grantedAt = asDate(row.grantedAt);
    this.expiresAt = asDate(row.expiresAt);
    this.reviewOutcome = (row.reviewOutcome as EmergencyReviewOutcome | null | undefined) ?? null;
    this.reviewedAt = asDate(row.reviewedAt);
    this.reviewNote = row.reviewNote ?? null;
  }
}
