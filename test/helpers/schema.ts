import type { GraphQLSchema } from 'graphql';
import { createLogger } from '../../src/logger.js';
import { BusPubSub } from '../../src/realtime/bus-pubsub.js';
import { MemoryEventBus } from '../../src/realtime/memory-event-bus.js';
import { buildCradleSchema } from '../../src/schema/build-schema.js';

/** Builds the real executable schema without a server (no I/O). */
export function buildTestSchema(): Promise<GraphQLSchema> {
  return buildCradleSchema(new BusPubSub(new MemoryEventBus(), createLogger('silent')));
}
