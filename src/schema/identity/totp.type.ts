import { Field, ObjectType } from 'type-graphql';
import { Auth } from '../auth.directive.js';

/** The start of TOTP enrolment: the new shared secret, shown once. */
@ObjectType({ description: 'A new TOTP secret to enrol in an authenticator app; confirm it with confirmTotpEnrolment.' })
export class TotpEnrolment {
  @Field(() => String, { description: 'The shared secret, base32, for typing into an authenticator app.' })
  @Auth.public('CREDENTIALS')
  secret!: string;

  @Field(() => String, { description: 'The same secret as an otpauth:// URI, to show as a QR code.' })
  @Auth.public('CREDENTIALS')
  otpauthUri!: string;
}

/** The end of TOTP enrolment: single-use recovery codes, shown once. */
@ObjectType({ description: 'An enabled TOTP second factor.' })
export class TotpRecoveryCodes {
  @Field(() => [String], {
    description: 'Single-use codes that stand in for an authenticator code at login or to disable the factor. Shown only now; keep them safe.',
  })
  @Auth.public('CREDENTIALS')
  recoveryCodes!: string[];
}
