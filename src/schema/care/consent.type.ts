import { Field, ID, InputType, ObjectType } from 'type-graphql';
import type { Consent, ConsentType } from '../../db/entities/index.js';
import type { PatientOwned } from '../auth-enforcement.js';
import { Auth } from '../auth.directive.js';
import { asDate } from '../common/dates.js';
import { ConsentCategoryEnum, ConsentTypeEnum } from '../common/enums.js';

/** A consent as the API shows it. */
@ObjectType('Consent', { description: "A patient's consent; revocation keeps the record." })
export class ConsentView implements PatientOwned {
  @Field(() => ID)
  @Auth.category('CARE_TEAM')
  readonly id: string;

  @Field(() => ID)
  @Auth.category('CARE_TEAM')
  readonly patientId: string;

  @Field(() => ConsentTypeEnum)
  @Auth.category('CARE_TEAM')
  readonly type: ConsentType;

  @Field(() => [ConsentCategoryEnum])
  @Auth.category('CARE_TEAM')
  readonly categories: string[];

  @Field(() => String, { description: 'The version of the consent text she agreed to.' })
  @Auth.category('CARE_TEAM')
  readonly version: string;

  @Field(() => Date)
  @Auth.category('CARE_TEAM')
  readonly grantedAt: Date;

  @Field(() => Date, { nullable: true })
  @Auth.category('CARE_TEAM')
  readonly expiresAt: Date | null;

  @Field(() => Date, { nullable: true })
  @Auth.category('CARE_TEAM')
  readonly revokedAt: Date | null;

  @Field(() => Boolean, { description: 'Neither revoked nor expired.' })
  @Auth.category('CARE_TEAM')
  readonly active: boolean;

  constructor(row: Consent, now: number) {
    this.id = row.id;
    this.patientId = row.patientId;
    this.type = row.type as ConsentType;
    this.categories = [...row.categories];
    this.version = row.version;
    this.grantedAt = asDate(row.grantedAt);
    this.expiresAt = asDate(row.expiresAt);
    this.revokedAt = asDate(row.revokedAt);
    this.active = this.revokedAt === null && (this.expiresAt === null || this.expiresAt.getTime() > now);
  }
}

@InputType({ description: 'A consent the patient gives.' })
export class GrantConsentInput {
  @Field(() => ID)
  patientId!: string;

  @Field(() => ConsentTypeEnum)
  type!: ConsentType;

  @Field(() => [ConsentCategoryEnum], { description: 'At least one, each at most once.' })
  categories!: string[];

  @Field(() => String, { description: 'The version of the consent text shown to her.' })
  version!: string;

  @Field(() => Date, { nullable: true, description: 'When it lapses by itself; must be in the future.' })
  expiresAt?: Date | null;
}
