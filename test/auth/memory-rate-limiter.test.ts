import { describe } from 'vitest';
import { MemoryRateLimiter } from '../../src/auth/memory-rate-limiter.js';
import { rateLimiterContract } from './rate-limiter-contract.js';

describe('the in-process rate limiter', () => {
  rateLimiterContract(async () => new MemoryRateLimiter());
});
