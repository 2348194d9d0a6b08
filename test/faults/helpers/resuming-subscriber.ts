import type { Client } from 'graphql-ws';
import { wsClient } from '../../helpers/graphql-client.js';
import { seqOf } from '../../helpers/live.js';
import type { CradleInstance } from './cradle-instance.js';

/** One event as a subscriber received it. */
export interface ReceivedEvent {
  readonly cursor: string;
  readonly id: string;
}

/** What the tally needs of any subscriber: who may see what, and everything it received. */
export interface SubscriberRecord {
  readonly label: string;
  /** Patients whose updates this subscriber is entitled to (empty for a decoy). */
  readonly entitled: ReadonlySet<string>;
  /** Every event received, duplicates included, in arrival order. */
  readonly received: readonly ReceivedEvent[];
}

/** The subscription every fault-suite subscriber holds: all status updates routed to it, from a cursor. */
export const PATIENT_UPDATES_SINCE = `subscription($since: String) { patientUpdates(since: $since) { cursor update { id kind } } }`;

/**
 * A dashboard the way a well-behaved client is written: it subscribes with `since` (its last
 * cursor), and whenever its socket closes or its subscription ends (instance killed, slow-consumer
 * cut-off, bus unavailable) it reconnects, to its home instance if that still runs or else to
 * another, and resumes from the highest cursor it received. It keeps every event it receives,
 * duplicates included, so the tally can count them; it never filters anything itself.
 */
export class ResumingSubscriber implements SubscriberRecord {
  readonly received: ReceivedEvent[] = [];
  /** Close codes its sockets saw (1000 for its own disposal). */
  readonly closeCodes: number[] = [];
  /** How many times it reconnected after a close or an error. */
  resumes = 0;
  private client: Client | null = null;
  private stopped = false;
  private cursor: string;
  private turn = 0;

  constructor(
    readonly label: string,
    private readonly token: string,
    readonly entitled: ReadonlySet<string>,
    since: string,
    private readonly home: CradleInstance,
    private readonly instances: () => readonly CradleInstance[],
  ) {
    this.cursor = since;
  }

  /** Where it is connected (or will reconnect): its home while that runs, else another instance. */
  get instance(): CradleInstance | null {
    if (this.home.alive) return this.home;
    const alive = this.instances().filter((i) => i.alive);
    return alive.length === 0 ? null : alive[this.turn++ % alive.length]!;
  }

  /** Opens the socket and subscribes from the current cursor. */
  start(): void {
    const instance = this.instance;
    if (!instance || this.stopped) return void this.retryLater();
    const client = wsClient(instance.wsUrl, this.token, (code) => this.closeCodes.push(code));
    this.client = client;
    let ended = false;
    const reconnect = () => {
      if (ended) return;
      ended = true;
      void client.dispose();
      if (this.stopped) return;
      this.resumes += 1;
      this.retryLater();
    };
    client.subscribe<{ patientUpdates?: { cursor: string; update: { id: string } } }>(
      { query: PATIENT_UPDATES_SINCE, variables: { since: this.cursor } },
      {
        next: (value) => {
          if (value.errors?.length) return reconnect();
          const event = value.data?.patientUpdates;
          if (!event) return;
          this.received.push({ cursor: event.cursor, id: event.update.id });
          if (seqOf(event.cursor) > seqOf(this.cursor)) this.cursor = event.cursor;
        },
        error: reconnect,
        complete: reconnect,
      },
    );
  }

  /** Closes its socket for good. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.dispose();
  }

  private retryLater(): void {
    if (this.stopped) return;
    setTimeout(() => this.start(), 250).unref();
  }
}
