/**
 * An async iterator over pushed items with a hard bound: a consumer that falls more than `limit`
 * items behind is cut off (`onOverflow`) instead of growing memory without end.
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiter: ((result: IteratorResult<T>) => void) | null = null;
  private ended = false;

  constructor(
    private readonly limit: number,
    private readonly onOverflow: () => void,
    private readonly onEnd: () => void,
  ) {}

  /** Queues an item; returns false (and ends the queue) when the consumer is too far behind. */
  push(item: T): boolean {
    if (this.ended) return false;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter({ value: item, done: false });
      return true;
    }
    if (this.items.length >= this.limit) {
      this.end();
      this.onOverflow();
      return false;
    }
    this.items.push(item);
    return true;
  }

  /** How many items wait to be consumed. */
  get size(): number {
    return this.items.length;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
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
}
