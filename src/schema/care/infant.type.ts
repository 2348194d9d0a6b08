import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { Infant } from '../../db/entities/index.js';
import type { PatientOwned } from '../auth-enforcement.js';
import { Auth } from '../auth.directive.js';

/** An infant as the API shows it. */
@ObjectType('Infant', { description: "A patient's baby." })
export class InfantView implements PatientOwned {
  readonly patientId: string;

  @Field(() => ID)
  @Auth.category('INFANT')
  readonly id: string;

  @Field(() => String)
  @Auth.category('INFANT')
  readonly givenName: string;

  @Field(() => String, { description: 'YYYY-MM-DD' })
  @Auth.category('INFANT')
  readonly birthDate: string;

  @Field(() => Int)
  @Auth.category('INFANT')
  readonly birthWeightGrams: number;

  constructor(row: Infant) {
    this.id = row.id;
    this.patientId = row.patientId;
    this.givenName = row.givenName;
    this.birthDate = row.birthDate;
    this.birthWeightGrams = row.birthWeightGrams;
  }
}
