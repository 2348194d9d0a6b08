import type { EntityManager } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { createRequestContext, type ServerServices } from '../src/context.js';
import type { Actor } from '../src/auth/actor.js';

const actor: Actor = { userId: 'u1', tenantId: 't1', role: 'MIDWIFE', tokenId: 'k' };

/** A root EntityManager that only counts and records its forks (no database behind it). */
function countingRootEm() {
  const forks: Array<{ options: unknown }> = [];
  const rootEm = { fork: (options: unknown) => { const em = { options }; forks.push(em); return em; } } as unknown as EntityManager;
  return { rootEm, forks };
}

/** The services a context reads at creation: a logger that counts its children, and a clock. */
function services() {
  const children: unknown[] = [];
  const logger = { child: (bindings: unknown) => { children.push(bindings); return { bindings }; } };
  return { services: { logger, now: () => 0 } as unknown as ServerServices, children };
}

describe('createRequestContext', () => {
  it('forks its EntityManager and its logger only when first used, then keeps them', () => {
    const { rootEm, forks } = countingRootEm();
    const { services: s, children } = services();
    const ctx = createRequestContext(s, rootEm, actor, 'ws', 'c1/1');
    expect(forks).toHaveLength(0);
    expect(children).toHaveLength(0);
    const em = ctx.em;
    expect(ctx.em).toBe(em);
    expect(forks).toHaveLength(1);
    expect(ctx.logger).toBe(ctx.logger);
    expect(children).toEqual([{ requestId: 'c1/1', actorId: 'u1', role: 'MIDWIFE' }]);
  });

  it('forks a fresh tenant-scoped EntityManager after releaseEm, and the patient access follows it', async () => {
    const { rootEm, forks } = countingRootEm();
    const ctx = createRequestContext(services().services, rootEm, actor, 'ws', 'c1/1');
    const held = ctx.em;
    ctx.releaseEm();
    expect(forks).toHaveLength(1);
    const fresh = ctx.em;
    expect(fresh).not.toBe(held);
    expect(forks).toHaveLength(2);
    expect(forks[1]!.options).toEqual(forks[0]!.options);
    expect(JSON.stringify(forks[1]!.options)).toContain('t1');
    ctx.releaseEm();
    // A seeded access answers without a lookup; an unseeded one would look up through the current fork.
    ctx.access.seed(new Map());
    expect(await ctx.access.grantFor('00000000-0000-4000-8000-000000000001')).toBeNull();
    expect(forks).toHaveLength(2);
  });
});
