import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Auth } from '../auth.directive.js';

/** A public prekey (base64). */
@ObjectType('PreKey', { description: 'A one-time EC prekey (base64 public key).' })
export class PreKeyView {
  @Field(() => Int)
  @Auth.category('MESSAGING')
  readonly id: number;

  @Field(() => String)
  @Auth.category('MESSAGING')
  readonly publicKey: string;

  constructor(id: number, publicKey: string) {
    this.id = id;
    this.publicKey = publicKey;
  }
}

/** A public prekey with its signature by the identity key (base64). */
@ObjectType('SignedPreKey', { description: 'A signed EC or Kyber prekey (base64 public key and signature).' })
export class SignedPreKeyView {
  @Field(() => Int)
  @Auth.category('MESSAGING')
  readonly id: number;

  @Field(() => String)
  @Auth.category('MESSAGING')
  readonly publicKey: string;

  @Field(() => String)
  @Auth.category('MESSAGING')
  readonly signature: string;

  constructor(id: number, publicKey: string, signature: string) {
    this.id = id;
    this.publicKey = publicKey;
    this.signature = signature;
  }
}

/** Everything a sender needs to start a PQXDH session with one device. */
@ObjectType('PreKeyBundle', { description: "One device's keys for starting a session; fetching it claims its one-time keys." })
export class PreKeyBundleView {
  @Field(() => ID)
  @Auth.category('MESSAGING')
  readonly userId: string;

  @Field(() => Int)
  @Auth.category('MESSAGING')
  readonly deviceId: number;

  @Field(() => Int)
  @Auth.category('MESSAGING')
  readonly registrationId: number;

  @Field(() => String)
  @Auth.category('MESSAGING')
  readonly identityKey: string;

  @Field(() => SignedPreKeyView)
  @Auth.category('MESSAGING')
  readonly signedPreKey: SignedPreKeyView;

  @Field(() => PreKeyView, { nullable: true, description: 'Null when the device has no one-time EC prekey left.' })
  @Auth.category('MESSAGING')
  readonly preKey: PreKeyView | null;

  @Field(() => SignedPreKeyView, { description: 'A one-time Kyber prekey, or the last-resort one when none is left.' })
  @Auth.category('MESSAGING')
  readonly kyberPreKey: SignedPreKeyView;

  @Field(() => Boolean, { description: 'Whether `kyberPreKey` is the last-resort key.' })
  @Auth.category('MESSAGING')
  readonly kyberPreKeyIsLastResort: boolean;

  constructor(fields: Omit<PreKeyBundleView, never>) {
    this.userId = fields.userId;
    this.deviceId = fields.deviceId;
    this.registrationId = fields.registrationId;
    this.identityKey = fields.identityKey;
    this.signedPreKey = fields.signedPreKey;
    this.preKey = fields.preKey;
    this.kyberPreKey = fields.kyberPreKey;
    this.kyberPreKeyIsLastResort = fields.kyberPreKeyIsLastResort;
  }
}
