import {
  CiphertextMessageType, IdentityKeyPair, KEMPublicKey, PreKeyBundle, PreKeySignalMessage, ProtocolAddress, PublicKey, SignalMessage,
  processPreKeyBundle, signalDecrypt, signalDecryptPreKey, signalEncrypt,
} from '@signalapp/libsignal-client';
import { fromBase64, generateIdentity, generateOneTimePreKeys, generateRegistration, toBase64 } from './device-keys.js';
import { MessagingApiError, type MessagingApi } from './messaging-api.js';
import { memoryStores, RECENT_ENVELOPES, type SignalStores } from './signal-stores.js';

/** An envelope as `inbox` delivers it. */
export interface Envelope {
  readonly id: string;
  readonly senderUserId: string;
  readonly senderDeviceId: number;
  readonly type: number;
  readonly body: string;
  readonly serverTimestamp: string;
}

/** A decrypted message. */
export interface ReceivedMessage {
  readonly envelopeId: string;
  readonly senderUserId: string;
  readonly senderDeviceId: number;
  /** 3 when it started a session (PreKey message), 2 otherwise. */
  readonly type: number;
  readonly plaintext: Uint8Array;
  readonly text: string;
}

/** A decrypted message or a failure to decrypt one (tampered, or from an untrusted identity). */
export type InboxItem = { readonly ok: true; readonly message: ReceivedMessage } | { readonly ok: false; readonly envelopeId: string; readonly error: Error };

/** A bundle as `preKeyBundles` returns it. */
interface BundleShape {
  userId: string;
  deviceId: number;
  registrationId: number;
  identityKey: string;
  signedPreKey: { id: number; publicKey: string; signature: string };
  preKey: { id: number; publicKey: string } | null;
  kyberPreKey: { id: number; publicKey: string; signature: string };
}

interface Mismatch {
  userId: string;
  missingDevices: number[];
  extraDevices: number[];
  staleDevices: number[];
}

const BUNDLES = `query($userId: ID!, $deviceId: Int) { preKeyBundles(userId: $userId, deviceId: $deviceId) {
  userId deviceId registrationId identityKey signedPreKey { id publicKey signature } preKey { id publicKey } kyberPreKey { id publicKey signature } } }`;
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { envelopes serverTimestamp } }`;
const INBOX = `subscription($deviceId: Int!, $since: ID) { inbox(deviceId: $deviceId, since: $since) { id senderUserId senderDeviceId type body serverTimestamp } }`;
const LOW = `subscription($deviceId: Int!) { preKeysLow(deviceId: $deviceId) { deviceId preKeys kyberPreKeys low } }`;
const UPLOAD = `mutation($deviceId: Int!, $preKeys: [PreKeyInput!]!, $kyberPreKeys: [SignedPreKeyInput!]!) {
  uploadPreKeys(deviceId: $deviceId, preKeys: $preKeys, kyberPreKeys: $kyberPreKeys) { preKeys kyberPreKeys low } }`;

/** The signed prekey id and the Kyber last-resort id this kit registers with (one-time ids count up from 1). */
const SIGNED_PRE_KEY_ID = 1;
const KYBER_LAST_RESORT_ID = 0xffffff;

/**
 * A Signal-protocol messaging client for one device of one user, over Cradle's GraphQL API: it
 * registers the device and its prekeys, starts PQXDH sessions from claimed bundles, encrypts one
 * ciphertext per device of the recipient and of its own other devices (recovering from the
 * server's missing/extra/stale device lists), decrypts PreKey and Whisper messages, drops
 * redeliveries of envelopes already processed (delivery is at-least-once), acknowledges, and
 * uploads fresh prekeys when the server says they run low. Keys, sessions and its own device id,
 * prekey counter and recently decrypted envelope ids stay in `stores`, so with file-backed stores
 * a client made again with {@link SecureMessagingClient.open} continues where the last one stopped.
 */
export class SecureMessagingClient {
  /** Devices this client addresses, per user: device id → registration id of the session. */
  private readonly devices = new Map<string, Map<number, number>>();
  /** Envelopes already decrypted, oldest first (the de-duplication of at-least-once delivery). */
  private readonly processed = new Set<string>();
  private nextPreKeyId = 1;
  private deviceIdValue: number | null = null;
  private work: Promise<unknown> = Promise.resolve();

  constructor(
    private api: MessagingApi,
    readonly userId: string,
    readonly stores: SignalStores,
    private readonly options: { preKeyBatch?: number; now?: () => number } = {},
  ) {}

  /** A client with a fresh identity and empty in-memory stores. */
  static withNewIdentity(api: MessagingApi, userId: string, options: { preKeyBatch?: number; now?: () => number } = {}): SecureMessagingClient {
    const { identity, registrationId } = generateIdentity();
    return new SecureMessagingClient(api, userId, SecureMessagingClient.memoryStores(identity, registrationId), options);
  }

  /**
   * A client over stores that may already hold a registered device (file-backed stores after a
   * restart): its device id, prekey counter, recently decrypted envelopes and the devices it has
   * sessions with are read back, so it sends on the existing sessions. Over empty stores it is a
   * new client; call {@link register} when {@link isRegistered} is false.
   */
  static async open(api: MessagingApi, userId: string, stores: SignalStores, options: { preKeyBatch?: number; now?: () => number } = {}): Promise<SecureMessagingClient> {
    const client = new SecureMessagingClient(api, userId, stores, options);
    const state = await stores.device.load();
    client.deviceIdValue = state.deviceId;
    client.nextPreKeyId = state.nextPreKeyId;
    for (const id of state.recentEnvelopeIds) client.processed.add(id);
    for (const address of await stores.sessions.addresses()) {
      const session = await stores.sessions.getSession(address);
      if (session?.hasCurrentState()) client.knownDevices(address.name()).set(address.deviceId(), session.remoteRegistrationId());
    }
    return client;
  }

  /** Empty in-memory stores for an identity. */
  static memoryStores(identity: IdentityKeyPair, registrationId: number): SignalStores {
    return memoryStores(identity, registrationId);
  }

  /** Switches to another transport (another server instance, a new WebSocket); keys and sessions are kept. */
  useApi(api: MessagingApi): void {
    this.api = api;
  }

  /** Whether this device is registered (has a device id from the server). */
  get isRegistered(): boolean {
    return this.deviceIdValue !== null;
  }

  /** The device id the server assigned (after {@link register}). */
  get deviceId(): number {
    if (this.deviceIdValue === null) throw new Error('register the device first');
    return this.deviceIdValue;
  }

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  private get localAddress(): ProtocolAddress {
    return ProtocolAddress.new(this.userId, this.deviceId);
  }

  /** Registers this device (signed prekey, Kyber last-resort key) and uploads a first batch of one-time prekeys. */
  async register(): Promise<number> {
    const input = await generateRegistration(this.stores, { signedPreKeyId: SIGNED_PRE_KEY_ID, kyberLastResortId: KYBER_LAST_RESORT_ID }, this.now);
    const data = await this.api.request<{ registerDevice: { deviceId: number } }>(
      `mutation($input: RegisterDeviceInput!) { registerDevice(input: $input) { deviceId } }`,
      { input },
    );
    this.deviceIdValue = data.registerDevice.deviceId;
    await this.saveState();
    await this.replenishPreKeys();
    return this.deviceIdValue;
  }

  /** Generates and uploads a batch of one-time EC and Kyber prekeys; returns the server's counts. */
  async replenishPreKeys(count = this.options.preKeyBatch ?? 20): Promise<{ preKeys: number; kyberPreKeys: number; low: boolean }> {
    const batch = await generateOneTimePreKeys(this.stores, this.nextPreKeyId, count, this.now);
    this.nextPreKeyId += count;
    await this.saveState();
    const data = await this.api.request<{ uploadPreKeys: { preKeys: number; kyberPreKeys: number; low: boolean } }>(UPLOAD, { deviceId: this.deviceId, ...batch });
    return data.uploadPreKeys;
  }

  /** Encrypts and sends a UTF-8 text to every device of `recipientUserId` and to this user's other devices. */
  sendText(recipientUserId: string, text: string): Promise<{ envelopes: number; serverTimestamp: string }> {
    return this.send(recipientUserId, new TextEncoder().encode(text));
  }

  /**
   * Encrypts and sends bytes; retries after fixing the device lists the server reports (up to three
   * times). Over the server's rate limits or a full recipient mailbox it throws the
   * {@link MessagingApiError} (`code` RATE_LIMITED, `retryAfterSeconds`) without retrying: nothing
   * was sent, and when to try again is the app's choice.
   */
  send(recipientUserId: string, plaintext: Uint8Array): Promise<{ envelopes: number; serverTimestamp: string }> {
    return this.serially(async () => {
      if (!this.devices.get(recipientUserId)?.size) await this.startSessions(recipientUserId, null);
      if (!this.devices.get(recipientUserId)?.size) throw new Error('The recipient has no messaging device yet.');
      for (let attempt = 0; ; attempt++) {
        const messages = [];
        for (const userId of new Set([recipientUserId, this.userId])) {
          for (const [deviceId, registrationId] of this.devices.get(userId) ?? []) {
            if (userId === this.userId && deviceId === this.deviceId) continue;
            const address = ProtocolAddress.new(userId, deviceId);
            const ciphertext = await signalEncrypt(new Uint8Array(plaintext), address, this.localAddress, this.stores.sessions, this.stores.identity, new Date(this.now));
            messages.push({ recipientUserId: userId, recipientDeviceId: deviceId, recipientRegistrationId: registrationId, type: ciphertext.type(), body: toBase64(ciphertext.serialize()) });
          }
        }
        try {
          const data = await this.api.request<{ sendMessage: { envelopes: number; serverTimestamp: string } }>(SEND, { input: { senderDeviceId: this.deviceId, messages } });
          return data.sendMessage;
        } catch (err) {
          if (!(err instanceof MessagingApiError) || err.extensions['reason'] !== 'DEVICE_MISMATCH' || attempt >= 3) throw err;
          await this.applyMismatches(err.extensions['mismatches'] as Mismatch[]);
        }
      }
    });
  }

  /** Updates sessions after the server's device lists: drops extra ones, restarts stale ones, starts missing ones. */
  private async applyMismatches(mismatches: readonly Mismatch[]): Promise<void> {
    for (const m of mismatches) {
      const known = this.knownDevices(m.userId);
      for (const deviceId of [...m.extraDevices, ...m.staleDevices]) {
        known.delete(deviceId);
        await this.stores.sessions.deleteSession(ProtocolAddress.new(m.userId, deviceId));
      }
      for (const deviceId of [...m.missingDevices, ...m.staleDevices]) await this.startSessions(m.userId, deviceId);
    }
  }

  /** Claims bundles (of every device of the user, or of one) and starts a PQXDH session with each. */
  private async startSessions(userId: string, deviceId: number | null): Promise<void> {
    const data = await this.api.request<{ preKeyBundles: BundleShape[] }>(BUNDLES, { userId, deviceId });
    const known = this.knownDevices(userId);
    for (const b of data.preKeyBundles) {
      if (userId === this.userId && b.deviceId === this.deviceId) continue;
      const bundle = PreKeyBundle.new(
        b.registrationId,
        b.deviceId,
        b.preKey?.id ?? null,
        b.preKey ? PublicKey.deserialize(fromBase64(b.preKey.publicKey)) : null,
        b.signedPreKey.id,
        PublicKey.deserialize(fromBase64(b.signedPreKey.publicKey)),
        fromBase64(b.signedPreKey.signature),
        PublicKey.deserialize(fromBase64(b.identityKey)),
        b.kyberPreKey.id,
        KEMPublicKey.deserialize(fromBase64(b.kyberPreKey.publicKey)),
        fromBase64(b.kyberPreKey.signature),
      );
      await processPreKeyBundle(bundle, ProtocolAddress.new(userId, b.deviceId), this.localAddress, this.stores.sessions, this.stores.identity, new Date(this.now));
      known.set(b.deviceId, b.registrationId);
    }
  }

  /**
   * Decrypts one envelope. Returns null for an envelope already processed (a redelivery); throws
   * when it cannot be decrypted (tampered, or its sender's identity is not trusted).
   */
  decrypt(envelope: Envelope): Promise<ReceivedMessage | null> {
    return this.serially(async () => {
      if (this.processed.has(envelope.id)) return null;
      const sender = ProtocolAddress.new(envelope.senderUserId, envelope.senderDeviceId);
      const body = fromBase64(envelope.body);
      const { sessions, identity, preKeys, signedPreKeys, kyberPreKeys } = this.stores;
      const plaintext =
        envelope.type === CiphertextMessageType.PreKey
          ? await signalDecryptPreKey(PreKeySignalMessage.deserialize(body), sender, this.localAddress, sessions, identity, preKeys, signedPreKeys, kyberPreKeys)
          : await signalDecrypt(SignalMessage.deserialize(body), sender, this.localAddress, sessions, identity);
      this.processed.add(envelope.id);
      if (this.processed.size > RECENT_ENVELOPES) this.processed.delete(this.processed.values().next().value!);
      await this.saveState();
      const session = await sessions.getSession(sender);
      if (session) this.knownDevices(envelope.senderUserId).set(envelope.senderDeviceId, session.remoteRegistrationId());
      return {
        envelopeId: envelope.id,
        senderUserId: envelope.senderUserId,
        senderDeviceId: envelope.senderDeviceId,
        type: envelope.type,
        plaintext,
        text: new TextDecoder().decode(plaintext),
      };
    });
  }

  /** Acknowledges envelopes of this device, so the server deletes them; returns how many it deleted. */
  async ack(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const data = await this.api.request<{ ackMessages: number }>(`mutation($ids: [ID!]!, $deviceId: Int) { ackMessages(ids: $ids, deviceId: $deviceId) }`, {
      ids,
      deviceId: this.deviceId,
    });
    return data.ackMessages;
  }

  /**
   * Listens on this device's inbox: each envelope is decrypted (redeliveries skipped), handed to
   * `onItem`, then acknowledged when `autoAck` (the default). With `since`, resumes after that
   * envelope id. Also uploads prekeys when the server says they run low. Returns a stop function:
   * once it is called, envelopes that the server still delivers on the closing subscription are
   * left alone (not decrypted, not handed over, not acknowledged), so they stay pending for
   * whatever reads the inbox next.
   */
  listen(onItem: (item: InboxItem) => void, options: { since?: string | null; autoAck?: boolean; onError?: (err: unknown) => void } = {}): () => void {
    const autoAck = options.autoAck ?? true;
    const fail = options.onError ?? (() => undefined);
    let stopped = false;
    const stopInbox = this.api.subscribe<{ inbox: Envelope }>(INBOX, { deviceId: this.deviceId, since: options.since ?? null }, {
      next: ({ inbox }) => {
        if (stopped) return;
        void (async () => {
          let item: InboxItem | null;
          try {
            const message = await this.decrypt(inbox);
            item = message ? { ok: true, message } : null;
          } catch (error) {
            item = { ok: false, envelopeId: inbox.id, error: error as Error };
          }
          if (item) onItem(item);
          if (autoAck && (item === null || item.ok)) await this.ack([inbox.id]);
        })().catch(fail);
      },
      error: fail,
      complete: () => undefined,
    });
    const stopLow = this.api.subscribe<{ preKeysLow: { low: boolean } }>(LOW, { deviceId: this.deviceId }, {
      next: () => void this.replenishPreKeys().catch(fail),
      error: fail,
      complete: () => undefined,
    });
    return () => {
      stopped = true;
      stopInbox();
      stopLow();
    };
  }

  /** The devices of `userId` this client has sessions with (device id → registration id). */
  private knownDevices(userId: string): Map<number, number> {
    let known = this.devices.get(userId);
    if (!known) this.devices.set(userId, (known = new Map()));
    return known;
  }

  private saveState(): Promise<void> {
    return this.stores.device.save({ deviceId: this.deviceIdValue, nextPreKeyId: this.nextPreKeyId, recentEnvelopeIds: [...this.processed] });
  }

  /** Runs crypto steps one at a time: libsignal's stores are not safe under interleaved operations. */
  private serially<T>(step: () => Promise<T>): Promise<T> {
    const run = this.work.then(step, step);
    this.work = run.catch(() => undefined);
    return run;
  }
}
