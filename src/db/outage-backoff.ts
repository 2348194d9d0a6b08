/**
 * When a background worker that polls the database should next try after failures: delays that
 * double from `minMs` to `maxMs`, back to none after a success. A worker polls as often as it likes
 * while the database is up and backs off while it is down (each attempt may wait the connect
 * timeout). It also tells the worker when an outage begins and ends, so each is logged once.
 * Real time, not the injected clock: it paces work, it decides nothing about the domain.
 */
export class OutageBackoff {
  private failures = 0;
  private notBefore = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Whether the next attempt may run now. */
  get ready(): boolean {
    return this.clock() >= this.notBefore;
  }

  /** Whether the last attempt failed. */
  get failing(): boolean {
    return this.failures > 0;
  }

  /** Records a failed attempt; returns whether it is the first of an outage. */
  failed(): boolean {
    this.failures += 1;
    this.notBefore = this.clock() + Math.min(this.maxMs, this.minMs * 2 ** Math.min(30, this.failures - 1));
    return this.failures === 1;
  }

  /** Records a successful attempt; returns whether it ends an outage. */
  succeeded(): boolean {
    const ended = this.failures > 0;
    this.failures = 0;
    this.notBefore = 0;
    return ended;
  }
}
