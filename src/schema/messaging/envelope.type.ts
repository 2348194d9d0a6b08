import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Auth } from '../auth.directive.js';

/** One ciphertext envelope for the receiving device. */
@ObjectType('Envelope', { description: 'A Signal ciphertext for one of your devices; acknowledge it with ackMessages once processed.' })
export class EnvelopeView {
  @Field(() => ID, { description: 'Opaque; pass it to ackMessages, or as `since` to resume after it.' })
  @Auth.category('MESSAGING')
  readonly id: string;

  @Field(() => ID)
  @Auth.category('MESSAGING')
  readonly senderUserId: string;

  @Field(() => Int)
  @Auth.category('MESSAGING')
  readonly senderDeviceId: number;

  @Field(() => Int, { description: '3: PreKey message (starts a session); 2: Whisper message.' })
  @Auth.category('MESSAGING')
  readonly type: number;

  @Field(() => String, { description: 'The ciphertext, base64.' })
  @Auth.category('MESSAGING')
  readonly body: string;

  @Field(() => Date)
  @Auth.category('MESSAGING')
  readonly serverTimestamp: Date;

  constructor(fields: Omit<EnvelopeView, never>) {
    this.id = fields.id;
    this.senderUserId = fields.senderUserId;
    this.senderDeviceId = fields.senderDeviceId;
    this.type = fields.type;
    this.body = fields.body;
    this.serverTimestamp = fields.serverTimestamp;
  }
}

/** One ciphertext for one recipient device. */
@InputType({ description: 'A ciphertext for one device.' })
export class OutgoingMessageInput {
  @Field(() => ID)
  recipientUserId!: string;

  @Field(() => Int)
  recipientDeviceId!: number;

  @Field(() => Int, {
    nullable: true,
    description: "The registration id of the recipient device's session; a different current one makes the device stale (re-fetch its bundle).",
  })
  recipientRegistrationId?: number | null;

  @Field(() => Int, { description: '3 (PreKey) or 2 (Whisper).' })
  type!: number;

  @Field(() => String, { description: 'The ciphertext, base64.' })
  body!: string;
}

/** A message to send: one ciphertext per device of every recipient, and of the sender's other devices. */
@InputType({ description: "One ciphertext per current device of each recipient, and per other device of the sender's." })
export class SendMessageInput {
  @Field(() => Int, { description: "The caller's sending device." })
  senderDeviceId!: number;

  @Field(() => [OutgoingMessageInput])
  messages!: OutgoingMessageInput[];
}

/** What the mailbox accepted. */
@ObjectType('SendResult', { description: 'The envelopes stored, all at one server timestamp.' })
export class SendResultView {
  @Field(() => Int)
  @Auth.category('MESSAGING')
  readonly envelopes: number;

  @Field(() => Date)
  @Auth.category('MESSAGING')
  readonly serverTimestamp: Date;

  constructor(envelopes: number, serverTimestamp: Date) {
    this.envelopes = envelopes;
    this.serverTimestamp = serverTimestamp;
  }
}
