import { Field, InputType } from 'type-graphql';
import type { Role } from '../../db/entities/index.js';
import { RoleEnum } from '../common/enums.js';

@InputType({ description: 'A new user of the caller\'s tenant.' })
export class CreateUserInput {
  @Field(() => String)
  email!: string;

  @Field(() => String, { description: 'At least 12 characters.' })
  password!: string;

  @Field(() => RoleEnum)
  role!: Role;

  @Field(() => String)
  displayName!: string;
}
