import { Field, ObjectType } from 'type-graphql';
import { Auth } from '../auth.directive.js';
import { UserView } from './user.type.js';

/** The result of signing in or refreshing a session: new tokens, shown once. */
@ObjectType({ description: 'A signed-in session.' })
export class AuthPayload {
  @Field(() => String, { description: 'Bearer token for the Authorization header and graphql-ws connection_init.' })
  @Auth.public('CREDENTIALS')
  accessToken!: string;

  @Field(() => String, {
    description:
      'Single-use token for refreshSession. Exchanging it returns a new one; presenting one already exchanged ends every session of this login.',
  })
  @Auth.public('CREDENTIALS')
  refreshToken!: string;

  @Field(() => Date, { description: 'When the access token expires.' })
  @Auth.public('OPERATIONAL')
  expiresAt!: Date;

  @Field(() => UserView)
  @Auth.public('ACCOUNT')
  user!: UserView;
}
