/**
 * B3's delivery path: one pub/sub channel per patient, subscribed once per process however many
 * local subscribers follow that patient (reference-counted), and an in-process fan-out from the one
 * parsed message to every local listener of that patient.
 */

/** The pub/sub the fan-out runs on: Redis in the bench ({@link RedisPatientBus}), in-process in tests. */
export interface PatientBus {
  /** Resolves once the channel is subscribed (so nothing published after it is missed). */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  publish(channel: string, message: string): Promise<void>;
  /** Sets the one handler every message on a subscribed channel goes to. */
  onMessage(handler: (channel: string, message: string) => void): void;
  close(): Promise<void>;
}

/** One stored update as published: what the subscription resolves, plus what routing needs. */
export interface PatientEvent {
  readonly patientId: string;
  readonly kind: string;
  readonly cursor: string;
  readonly update: Readonly<Record<string, unknown>>;
}

/** Receives the events of the patients it listens to; the same event object goes to every listener. */
export type PatientListener = (event: PatientEvent) => void;

/** Delivers each patient's events to the listeners of that patient in this process. */
export class PatientFanout {
  private readonly listeners = new Map<string, Set<PatientListener>>();
  /** Channels whose SUBSCRIBE is under way or done, so two listeners never subscribe twice. */
  private readonly subscribed = new Map<string, Promise<void>>();

  constructor(
    private readonly bus: PatientBus,
    /** Prefix of every channel name (the run's Redis key prefix). */
    private readonly prefix: string,
  ) {
    bus.onMessage((channel, message) => this.dispatch(channel, message));
  }

  /** The channel of one patient's events. */
  channelOf(patientId: string): string {
    return `${this.prefix}patient:${patientId}`;
  }

  /** Publishes one event on its patient's channel. */
  publish(event: PatientEvent): Promise<void> {
    return this.bus.publish(this.channelOf(event.patientId), JSON.stringify(event));
  }

  /**
   * Adds `listener` to each patient's listeners and resolves once every channel is subscribed;
   * returns the function that removes it again (and unsubscribes channels nobody here follows).
   */
  async listen(patientIds: Iterable<string>, listener: PatientListener): Promise<() => void> {
    const ids = [...new Set(patientIds)];
    const pending: Array<Promise<void>> = [];
    for (const id of ids) {
      let set = this.listeners.get(id);
      if (!set) this.listeners.set(id, (set = new Set()));
      set.add(listener);
      const channel = this.channelOf(id);
      let subscribing = this.subscribed.get(channel);
      if (!subscribing) this.subscribed.set(channel, (subscribing = this.bus.subscribe(channel)));
      pending.push(subscribing);
    }
    let removed = false;
    const remove = () => {
      if (removed) return;
      removed = true;
      for (const id of ids) {
        const set = this.listeners.get(id);
        if (!set) continue;
        set.delete(listener);
        if (set.size > 0) continue;
        this.listeners.delete(id);
        const channel = this.channelOf(id);
        this.subscribed.delete(channel);
        this.bus.unsubscribe(channel).catch(() => undefined);
      }
    };
    try {
      await Promise.all(pending);
    } catch (err) {
      remove();
      throw err;
    }
    return remove;
  }

  /** Patients with at least one listener in this process. */
  get patientCount(): number {
    return this.listeners.size;
  }

  private dispatch(channel: string, message: string): void {
    const patientId = channel.slice(this.prefix.length + 'patient:'.length);
    const set = this.listeners.get(patientId);
    if (!set || set.size === 0) return;
    const event = JSON.parse(message) as PatientEvent;
    if (event.patientId !== patientId) return;
    for (const listener of set) listener(event);
  }
}

/** An in-process {@link PatientBus}, for tests without Redis; delivers on a later microtask, as a network would. */
export class MemoryPatientBus implements PatientBus {
  private readonly channels = new Set<string>();
  private handler: (channel: string, message: string) => void = () => undefined;
  /** SUBSCRIBE calls made (a test reads it to prove one per channel). */
  subscribeCalls = 0;

  async subscribe(channel: string): Promise<void> {
    this.subscribeCalls += 1;
    this.channels.add(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
  }

  async publish(channel: string, message: string): Promise<void> {
    if (this.channels.has(channel)) queueMicrotask(() => this.handler(channel, message));
  }

  onMessage(handler: (channel: string, message: string) => void): void {
    this.handler = handler;
  }

  /** Whether `channel` is subscribed. */
  has(channel: string): boolean {
    return this.channels.has(channel);
  }

  async close(): Promise<void> {
    this.channels.clear();
  }
}
