import { Field, ObjectType } from 'type-graphql';
import { Auth } from '../auth.directive.js';
import { UserView } from './user.type.js';

/** The result of signing in. Refresh tokens arrive with the identity work (see the README's status). */
@ObjectType({ description: 'A signed-in session.' })
export class AuthPayload {
  @Field(() => String, { description: 'Bearer token for the Authorization header and graphql-ws connection_init.' })
  @Auth.public('CREDENTIALS')
  accessToken!: string;

  @Field(() => Date)
  @Auth.public('OPERATIONAL')
  expiresAt!: Date;

  @Field(() => UserView)
  @Auth.public('ACCOUNT')
  user!: UserView;
}
