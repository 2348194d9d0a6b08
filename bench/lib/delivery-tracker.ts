import { latencyHistogram, recordMs, type LatencyHistogram } from './latency.js';

/** One mutation the load generator sent, and what became of its deliveries. */
interface SentEvent {
  readonly patientId: string;
  readonly sentAt: number;
  readonly expected: number;
  received: number;
  /** Latest delivery so far (ms after `sentAt`). */
  lastMs: number;
}

/** Correctness counters of one measurement window. */
export interface DeliveryCounts {
  readonly sent: number;
  readonly deliveries: number;
  /** Entitled deliveries that never arrived before the drain deadline. */
  readonly misses: number;
  /** The same event delivered twice to the same subscriber. */
  readonly duplicates: number;
  /** Events delivered to a subscriber not entitled to them (a decoy, or another patient's). */
  readonly unauthorised: number;
  /** Deliveries of events this window did not send (a late delivery from an earlier window). */
  readonly unknown: number;
  /** GraphQL `error` or unexpected `complete` messages received by subscribers. */
  readonly subscriptionErrors: number;
}

/**
 * Matches deliveries to the mutations that caused them. Every mutation's note starts with
 * `b<eventId>|`, so a delivery is attributed with a substring search (no JSON parse on the hot
 * path); the send time is kept here, in the same process as the subscribers, so latency needs no
 * clock synchronisation. Each subscriber's entitled patients are known from the seed, so every
 * delivery is checked: entitled or unauthorised, first or duplicate.
 */
export class DeliveryTracker {
  private events = new Map<number, SentEvent>();
  private seen: Array<Set<number>>;
  private nextId = 1;
  /** Delivery latency, mutation sent → delivery received (µs). */
  latency: LatencyHistogram = latencyHistogram();
  /** Per event, time to the last entitled subscriber (µs), recorded when the window closes. */
  lastSubscriber: LatencyHistogram = latencyHistogram();
  private deliveries = 0;
  private duplicates = 0;
  private unauthorised = 0;
  private unknown = 0;
  private subscriptionErrors = 0;
  /** Subscribers excluded from miss counting in this window (a deliberately stalled reader). */
  private excused = new Set<number>();

  constructor(private readonly entitled: ReadonlyArray<ReadonlySet<string>>) {
    this.seen = entitled.map(() => new Set());
  }

  /** Starts a measurement window: forgets earlier events and counters. */
  reset(): void {
    this.events = new Map();
    this.seen = this.entitled.map(() => new Set());
    this.latency = latencyHistogram();
    this.lastSubscriber = latencyHistogram();
    this.deliveries = this.duplicates = this.unauthorised = this.unknown = this.subscriptionErrors = 0;
    this.excused = new Set();
  }

  /** Registers a mutation about to be sent; returns the id its note must carry. */
  expect(patientId: string, fanOut: number, sentAt: number): number {
    const id = this.nextId++;
    this.events.set(id, { patientId, sentAt, expected: fanOut, received: 0, lastMs: 0 });
    return id;
  }

  /** Forgets a mutation that failed (nothing was stored, so nothing may be delivered). */
  cancel(id: number): void {
    this.events.delete(id);
  }

  /** Excludes one subscriber from miss counting (the slow-consumer run stalls it on purpose). */
  excuse(subscriber: number): void {
    this.excused.add(subscriber);
  }

  /** Handles one text frame received by subscriber `index` at `now` (ms, `performance.now()`). */
  onFrame(index: number, frame: string, now: number): void {
    const at = frame.indexOf('"note":"b');
    if (at < 0) {
      if (frame.includes('"type":"error"') || frame.includes('"type":"complete"')) this.subscriptionErrors += 1;
      return;
    }
    const end = frame.indexOf('|', at + 9);
    const id = Number(frame.slice(at + 9, end));
    const event = this.events.get(id);
    if (!event) {
      this.unknown += 1;
      return;
    }
    if (!this.entitled[index]!.has(event.patientId)) {
      this.unauthorised += 1;
      return;
    }
    const seen = this.seen[index]!;
    if (seen.has(id)) {
      this.duplicates += 1;
      return;
    }
    seen.add(id);
    this.deliveries += 1;
    event.received += 1;
    const ms = now - event.sentAt;
    if (ms > event.lastMs) event.lastMs = ms;
    recordMs(this.latency, ms);
  }

  /** Deliveries still expected in this window. */
  outstanding(): number {
    let missing = 0;
    for (const event of this.events.values()) missing += Math.max(0, event.expected - event.received);
    return missing - this.excusedOutstanding();
  }

  private excusedOutstanding(): number {
    if (this.excused.size === 0) return 0;
    let count = 0;
    for (const index of this.excused) {
      const seen = this.seen[index]!;
      for (const [id, event] of this.events) if (this.entitled[index]!.has(event.patientId) && !seen.has(id)) count += 1;
    }
    return count;
  }

  /** Closes the window: records time-to-last-subscriber of fully delivered events and returns the counters. */
  close(): DeliveryCounts {
    for (const event of this.events.values()) if (event.expected > 0 && event.received >= event.expected) recordMs(this.lastSubscriber, event.lastMs);
    return {
      sent: this.events.size,
      deliveries: this.deliveries,
      misses: this.outstanding(),
      duplicates: this.duplicates,
      unauthorised: this.unauthorised,
      unknown: this.unknown,
      subscriptionErrors: this.subscriptionErrors,
    };
  }
}
