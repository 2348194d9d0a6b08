import type { TokenVerifier } from './expert-app.js';

type Verified = NonNullable<Awaited<ReturnType<TokenVerifier['verify']>>>;

/**
 * Remembers tokens that verified, until their expiry, so a client that sends the same token with
 * every request (the bench's writer) is HMAC-checked once, not once per mutation. Only successful
 * verifications are kept, keyed on the whole token; an entry is dropped at the token's `exp`. Bounded:
 * the oldest entry goes first.
 */
export class VerifiedTokenCache implements TokenVerifier {
  private readonly entries = new Map<string, { readonly actor: Verified; readonly expiresAtMs: number }>();

  constructor(
    private readonly inner: TokenVerifier,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async verify(token: string): Promise<Verified | null> {
    const hit = this.entries.get(token);
    if (hit) {
      if (hit.expiresAtMs > this.now()) return hit.actor;
      this.entries.delete(token);
    }
    const actor = await this.inner.verify(token);
    if (!actor?.expiresAt) return actor;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { actor, expiresAtMs: actor.expiresAt.getTime() });
    return actor;
  }
}
