import { Field, ID, InputType, Int } from 'type-graphql';

@InputType({ description: 'A new patient record.' })
export class CreatePatientInput {
  @Field(() => ID, { nullable: true, description: "The patient's own login (a PATIENT user of the tenant), if she has one." })
  userId?: string | null;

  @Field(() => String)
  givenName!: string;

  @Field(() => String)
  familyName!: string;

  @Field(() => String, { description: 'YYYY-MM-DD' })
  birthDate!: string;

  @Field(() => String, { description: 'YYYY-MM-DD' })
  deliveryDate!: string;

  @Field(() => String, { nullable: true })
  mrn?: string | null;

  @Field(() => String, { nullable: true })
  phone?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;
}

@InputType({ description: "A patient's baby." })
export class AddInfantInput {
  @Field(() => String)
  givenName!: string;

  @Field(() => String, { description: 'YYYY-MM-DD' })
  birthDate!: string;

  @Field(() => Int, { description: 'Grams, 300 to 7000.' })
  birthWeightGrams!: number;
}
