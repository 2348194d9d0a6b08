import { Field, ID, ObjectType } from 'type-graphql';
import type { CareTeamMember, ClinicalRole } from '../../db/entities/index.js';
import type { PatientOwned } from '../auth-enforcement.js';
import { Auth } from '../auth.directive.js';
import { CareTeamRoleEnum } from '../common/enums.js';
import { asDate } from '../common/dates.js';

/** A clinician on a patient's care team. */
@ObjectType('CareTeamMember', { description: "A clinician on a patient's care team." })
export class CareTeamMemberView implements PatientOwned {
  @Field(() => ID)
  @Auth.category('CARE_TEAM')
  readonly id: string;

  @Field(() => ID)
  @Auth.category('CARE_TEAM')
  readonly patientId: string;

  @Field(() => ID)
  @Auth.category('CARE_TEAM')
  readonly userId: string;

  @Field(() => String)
  @Auth.category('CARE_TEAM')
  readonly displayName: string;

  @Field(() => CareTeamRoleEnum)
  @Auth.category('CARE_TEAM')
  readonly role: ClinicalRole;

  @Field(() => Date)
  @Auth.category('CARE_TEAM')
  readonly assignedAt: Date;

  constructor(row: CareTeamMember, displayName: string) {
    this.id = row.id;
    this.patientId = row.patientId;
    this.userId = row.userId;
    this.displayName = displayName;
    this.role = row.role as ClinicalRole;
    this.assignedAt = asDate(row.assignedAt);
  }
}
