/** How a {@link BoundedQueue} decides that its reader is too slow. */
export interface QueueBounds {
  /** Most items that may wait; one more cuts the reader off (the memory bound). */
  readonly maxItems: number;
  /** Longest an item may wait for the reader, in milliseconds, before the reader is cut off (a stall). */
  readonly maxLagMs: number;
}

/**
 * An async iterator over pushed items with hard bounds: a reader that falls more than `maxItems`
 * behind, or leaves an item unread for longer than `maxLagMs`, is cut off (`onOverflow`) instead of
 * growing memory without end. Bursts that a reader drains in time are fine.
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: Array<{ value: T; at: number }> = [];
  private waiter: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | null = null;
  /** Producers waiting for the reader to make room (see {@link whenAtMost}). */
  private readonly roomWaiters: Array<{ size: number; resolve: () => void }> = [];
  /** Why the stream ended, when it ended with an error (see {@link fail}); the next read rejects with it. */
  private failure: { error: unknown } | null = null;
  private ended = false;

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

  private isStalled(): boolean {
    const oldest = this.items[0];
    return oldest !== undefined && this.now() - oldest.at > this.bounds.maxLagMs;
  }

  private overflow(): void {
    this.end();
    this.onOverflow();
  }
}
