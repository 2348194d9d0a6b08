/** How a {@link BoundedQueue} decides that its reader is too slow. */
export interface QueueBounds {
  /** Most items that may wait; one more cuts the reader off (the memory bound). */
  readonly maxItems: number;
  /**
   * Longest the reader may leave waiting items untaken, in milliseconds, before it is cut off (a
   * stall): measured from the later of the oldest item's arrival and the reader's last take, so a
   * reader still working through a long burst is not mistaken for a stalled one.
   */
  readonly maxLagMs: number;
}

/**
 * An async iterator over pushed items with hard bounds: a reader that falls more than `maxItems`
 * behind, or takes nothing for longer than `maxLagMs` while items wait, is cut off (`onOverflow`)
 * instead of growing memory without end. A reader that keeps taking items rides out bursts of any
 * length within `maxItems`.
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: Array<{ value: T; at: number }> = [];
  private waiter: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | null = null;
  /** Producers waiting for the reader to make room (see {@link whenAtMost}). */
  private readonly roomWaiters: Array<{ size: number; resolve: () => void }> = [];
  /** Why the stream ended, when it ended with an error (see {@link fail}); the next read rejects with it. */
  private failure: { error: unknown } | null = null;
  private ended = false;
  /** When the reader last took an item (clock of `now`); see {@link isStalled}. */
  private lastTakenAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly bounds: QueueBounds,
    private readonly onOverflow: () => void,
    private readonly onEnd: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queues an item; returns false (and ends the queue) when the reader is too far behind. */
  push(item: T): boolean {
    if (this.ended) return false;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      this.lastTakenAt = this.now();
      waiter.resolve({ value: item, done: false });
      return true;
    }
    if (this.items.length >= this.bounds.maxItems || this.isStalled()) {
      this.overflow();
      return false;
    }
    this.items.push({ value: item, at: this.now() });
    return true;
  }

  /** Cuts the reader off if its oldest item has waited too long; returns whether it did. */
  checkStall(): boolean {
    if (this.ended || !this.isStalled()) return false;
    this.overflow();
    return true;
  }

  /** How many items wait to be read. */
  get size(): number {
    return this.items.length;
  }

  /** Most items that may wait (`maxItems`). */
  get capacity(): number {
    return this.bounds.maxItems;
  }

  /**
   * Resolves once at most `size` items wait, or the queue has ended: a producer that can wait (a
   * replay from the database) uses it to stay within the bounds however much it has to send.
   */
  whenAtMost(size: number): Promise<void> {
    if (this.ended || this.items.length <= size) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push({ size, resolve }));
  }

  get isEnded(): boolean {
    return this.ended;
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) {
      this.lastTakenAt = this.now();
      this.releaseRoomWaiters();
      return Promise.resolve({ value: item.value, done: false });
    }
    if (this.ended) return this.endResult();
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the stream: pending and future reads complete; `onEnd` runs once. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.items.length = 0;
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter) void this.endResult().then(waiter.resolve, waiter.reject);
    for (const room of this.roomWaiters.splice(0)) room.resolve();
    this.onEnd();
  }

  /**
   * Ends the stream with an error: items not yet read are dropped and the reader's next read
   * rejects with `error` (graphql-ws sends it as the operation's error); later reads complete.
   */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.end();
  }

  /** What a read of the ended stream gets: its failure once, if it failed, then completion. */
  private endResult(): Promise<IteratorResult<T>> {
    const failure = this.failure;
    this.failure = null;
    return failure ? Promise.reject(failure.error) : Promise.resolve({ value: undefined, done: true });
  }

  private releaseRoomWaiters(): void {
    if (this.roomWaiters.length === 0) return;
    const still: typeof this.roomWaiters = [];
    for (const room of this.roomWaiters) {
      if (this.items.length <= room.size) room.resolve();
      else still.push(room);
    }
    this.roomWaiters.splice(0, this.roomWaiters.length, ...still);
  }

  /**
   * Whether items wait and the reader has taken none for longer than `maxLagMs`, counting from the
   * oldest item's arrival or the reader's last take, whichever is later. Counting from arrival
   * alone cut off readers that were keeping up but had a long burst to work through (a regression
   * test covers it).
   */
  private isStalled(): boolean {
    const oldest = this.items[0];
    if (oldest === undefined) return false;
    return this.now() - Math.max(oldest.at, this.lastTakenAt) > this.bounds.maxLagMs;
  }

  private overflow(): void {
    this.end();
    this.onOverflow();
  }
}
