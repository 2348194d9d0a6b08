import { Redis } from 'ioredis';
import type { PatientBus } from './expert-fanout.js';

/** {@link PatientBus} on Redis: one connection in subscriber mode, one for publishing. */
export class RedisPatientBus implements PatientBus {
  private readonly subscriber: Redis;
  private readonly publisher: Redis;

  constructor(url: string) {
    this.subscriber = new Redis(url);
    this.publisher = new Redis(url);
  }

  async subscribe(channel: string): Promise<void> {
    await this.subscriber.subscribe(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    await this.subscriber.unsubscribe(channel);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.publish(channel, message);
  }

  onMessage(handler: (channel: string, message: string) => void): void {
    this.subscriber.removeAllListeners('message');
    this.subscriber.on('message', handler);
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    await this.publisher.quit().catch(() => undefined);
  }
}
