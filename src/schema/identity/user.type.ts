import { Field, ID, ObjectType } from 'type-graphql';
import type { Role, User } from '../../db/entities/index.js';
import { Auth } from '../auth.directive.js';
import { RoleEnum } from '../common/enums.js';

/** A user account as the API shows it: never the password hash. */
@ObjectType('User', { description: 'A person who signs in to Cradle.' })
export class UserView {
  @Field(() => ID)
  @Auth.category('OPERATIONAL')
  readonly id: string;

  @Field(() => ID)
  @Auth.category('OPERATIONAL')
  readonly tenantId: string;

  @Field(() => String)
  @Auth.category('ACCOUNT')
  readonly email: string;

  @Field(() => RoleEnum)
  @Auth.category('ACCOUNT')
  readonly role: Role;

  @Field(() => String)
  @Auth.category('ACCOUNT')
  readonly displayName: string;

  @Field(() => Boolean, { description: 'Whether an ADMIN disabled the account (it cannot sign in).' })
  @Auth.category('ACCOUNT')
  readonly disabled: boolean;

  constructor(user: User) {
    this.id = user.id;
    this.tenantId = user.tenantId;
    this.email = user.email;
    this.role = user.role as Role;
    this.displayName = user.displayName;
    this.disabled = user.disabledAt !== null && user.disabledAt !== undefined;
  }
}
