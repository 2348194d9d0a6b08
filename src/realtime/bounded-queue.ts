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
  private waiter: ((result: IteratorResult<T>) => void) | null = null;
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
      waiter({ value: item, done: false });
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

  get isEnded(): boolean {
    return this.ended;
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ value: item.value, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiter = resolve;
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
    waiter?.({ value: undefined, done: true });
    this.onEnd();
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
