import type { BusHandler, EventBus } from './event-bus.js';

/** The in-process bus of the embedded default: one server instance, no network. */
export class MemoryEventBus implements EventBus {
  readonly kind = 'memory' as const;
  private readonly channels = new Map<string, Set<BusHandler>>();
  private closed = false;

  async publish(channel: string, message: string): Promise<void> {
    if (this.closed) throw new Error('The event bus is closed.');
    const handlers = this.channels.get(channel);
    if (!handlers) return;
    for (const handler of [...handlers]) queueMicrotask(() => handler(message));
  }

  async subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    let handlers = this.channels.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.channels.set(channel, handlers);
    }
    handlers.add(handler);
    return async () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.channels.get(channel) === handlers) this.channels.delete(channel);
    };
  }

  onReconnect(): () => void {
    return () => {};
  }

  async ping(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.channels.clear();
  }
}
