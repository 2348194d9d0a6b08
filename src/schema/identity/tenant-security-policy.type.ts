import { Field, ObjectType } from 'type-graphql';
import { Auth } from '../auth.directive.js';

/** A tenant's sign-in requirements. */
@ObjectType({ description: "The tenant's sign-in requirements." })
export class TenantSecurityPolicy {
  @Field(() => Boolean, {
    description:
      'Clinicians (PRIMARY_CARE_PROVIDER, MIDWIFE, LACTATION_CONSULTANT, MENTAL_HEALTH_SPECIALIST, CARE_COORDINATOR) must sign in with a TOTP second factor; one without it is sent to enrol (TOTP_ENROLMENT_REQUIRED).',
  })
  @Auth.roles(['ADMIN'], 'OPERATIONAL')
  requireTotpForClinicians!: boolean;
}
