import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { Auth } from '../auth.directive.js';

/** A messaging device of the caller, as the key directory knows it. */
@ObjectType('Device', { description: "One of the caller's messaging devices in the Signal key directory." })
export class DeviceView {
  @Field(() => Int, { description: 'The device id (1–127), unique per user; the server assigns it.' })
  @Auth.category('MESSAGING')
  readonly deviceId: number;

  @Field(() => Int, { description: 'The registration id the device registered with (≤ 0x3FFF).' })
  @Auth.category('MESSAGING')
  readonly registrationId: number;

  @Field(() => Date)
  @Auth.category('MESSAGING')
  readonly createdAt: Date;

  constructor(row: { deviceId: number; registrationId: number; createdAt: Date }) {
    this.deviceId = row.deviceId;
    this.registrationId = row.registrationId;
    this.createdAt = row.createdAt;
  }
}

/** How many one-time prekeys a device has left on the server. */
@ObjectType('PreKeyCount', { description: "A device's remaining one-time prekeys; upload more when `low` is true." })
export class PreKeyCountView {
  @Field(() => Int)
  @Auth.category('MESSAGING')
  readonly deviceId: number;

  @Field(() => Int, { description: 'One-time EC prekeys left.' })
  @Auth.category('MESSAGING')
  readonly preKeys: number;

  @Field(() => Int, { description: 'One-time Kyber prekeys left (the last-resort key is served when none is).' })
  @Auth.category('MESSAGING')
  readonly kyberPreKeys: number;

  @Field(() => Boolean, { description: 'Either count is below the server threshold (CRADLE_MESSAGING_LOW_PREKEYS).' })
  @Auth.category('MESSAGING')
  readonly low: boolean;

  constructor(counts: { deviceId: number; preKeys: number; kyberPreKeys: number }, threshold: number) {
    this.deviceId = counts.deviceId;
    this.preKeys = counts.preKeys;
    this.kyberPreKeys = counts.kyberPreKeys;
    this.low = counts.preKeys < threshold || counts.kyberPreKeys < threshold;
  }
}

/** A one-time EC prekey to upload. */
@InputType({ description: 'A one-time EC prekey (public half, base64 of its 33-byte serialization).' })
export class PreKeyInput {
  @Field(() => Int)
  id!: number;

  @Field(() => String)
  publicKey!: string;
}

/** A prekey signed by the device's identity key (signed EC prekey or Kyber prekey). */
@InputType({ description: 'A prekey signed by the identity key: EC (33 bytes) or Kyber (1569 bytes); base64, with its 64-byte signature.' })
export class SignedPreKeyInput {
  @Field(() => Int)
  id!: number;

  @Field(() => String)
  publicKey!: string;

  @Field(() => String)
  signature!: string;
}

/** What a device registers with. */
@InputType({ description: 'A new messaging device: its identity key, signed prekey and Kyber last-resort prekey (all base64).' })
export class RegisterDeviceInput {
  @Field(() => Int, { description: '1–16383 (0x3FFF), as libsignal generates them.' })
  registrationId!: number;

  @Field(() => String, { description: 'The 33-byte identity public key.' })
  identityKey!: string;

  @Field(() => SignedPreKeyInput)
  signedPreKey!: SignedPreKeyInput;

  @Field(() => SignedPreKeyInput, { description: 'Served when the one-time Kyber prekeys run out.' })
  kyberLastResortPreKey!: SignedPreKeyInput;
}
