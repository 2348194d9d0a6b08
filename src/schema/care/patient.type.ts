import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { Patient } from '../../db/entities/index.js';
import type { PatientOwned } from '../auth-enforcement.js';
import { Auth } from '../auth.directive.js';
import { PageInfo } from '../common/page-info.type.js';

/**
 * A patient as the API shows it. Each field names its data category; a caller sees a field only if
 * its grant for this patient includes the category. Infants and care team are resolved by the
 * patient resolver.
 */
@ObjectType('Patient', { description: 'A mother under postnatal care.' })
export class PatientView implements PatientOwned {
  readonly patientId: string;

  @Field(() => ID)
  @Auth.category('OPERATIONAL')
  readonly id: string;

  @Field(() => ID, { nullable: true, description: "The patient's own login, if she has one." })
  @Auth.category('IDENTITY')
  readonly userId: string | null;

  @Field(() => String)
  @Auth.category('IDENTITY')
  readonly givenName: string;

  @Field(() => String)
  @Auth.category('IDENTITY')
  readonly familyName: string;

  @Field(() => String, { description: 'YYYY-MM-DD' })
  @Auth.category('IDENTITY')
  readonly birthDate: string;

  @Field(() => String, { description: 'YYYY-MM-DD' })
  @Auth.category('MATERNAL')
  readonly deliveryDate: string;

  @Field(() => Int, { description: 'Whole days since delivery, by the server clock (UTC).' })
  @Auth.category('MATERNAL')
  readonly daysPostpartum: number;

  @Field(() => String, { nullable: true, description: 'Medical record number.' })
  @Auth.category('IDENTITY')
  readonly mrn: string | null;

  @Field(() => String, { nullable: true })
  @Auth.category('CONTACT')
  readonly phone: string | null;

  @Field(() => String, { nullable: true })
  @Auth.category('CONTACT')
  readonly email: string | null;

  constructor(row: Patient, now: number) {
    this.id = row.id;
    this.patientId = row.id;
    this.userId = row.userId ?? null;
    this.givenName = row.givenName;
    this.familyName = row.familyName;
    this.birthDate = row.birthDate;
    this.deliveryDate = row.deliveryDate;
    this.daysPostpartum = Math.floor((now - Date.parse(`${row.deliveryDate}T00:00:00Z`)) / 86_400_000);
    this.mrn = row.mrn ?? null;
    this.phone = row.phone ?? null;
    this.email = row.email ?? null;
  }
}

@ObjectType()
export class PatientEdge {
  @Field(() => String)
  @Auth.category('OPERATIONAL')
  cursor!: string;

  @Field(() => PatientView)
  @Auth.category('OPERATIONAL')
  node!: PatientView;
}

@ObjectType({ description: "A page of the patients in the caller's scope." })
export class PatientConnection {
  @Field(() => [PatientEdge])
  @Auth.category('OPERATIONAL')
  edges!: PatientEdge[];

  @Field(() => PageInfo)
  @Auth.category('OPERATIONAL')
  pageInfo!: PageInfo;
}
